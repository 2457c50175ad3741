"""The editor's actions, driven through the real app with Pilot."""

from __future__ import annotations

from pathlib import Path

from omnix.tui.app import INSPECTOR_DELAY_S, EditorApp
from omnix.tui.components.code_editor import CodeEditor
from omnix.tui.components.dialogs import AddNodeDialog, ConfirmDialog
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.inspector import Inspector
from omnix.tui.components.problems import ProblemsPanel
from omnix.tui.document import PipelineDocument
from textual.pilot import Pilot
from textual.widgets import Input, Select, TextArea
from textual.widgets._footer import FooterKey

SIZE = (100, 30)


async def settle(pilot: Pilot[None]) -> None:
    """Let validation workers finish and their messages land."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def problem_lines(app: EditorApp) -> list[str]:
    panel = app.query_one(ProblemsPanel)
    return [str(panel.get_option_at_index(i).prompt) for i in range(panel.option_count)]


async def test_the_editor_opens_with_the_first_node_selected(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert editor.canvas.selected == "extract"
        assert problem_lines(editor) == ["✔ valid"]


async def test_arrow_keys_move_the_selection_along_the_graph(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right")
        assert editor.canvas.selected == "report"
        await pilot.press("left")
        assert editor.canvas.selected == "totals"


async def test_adding_a_node_asks_for_language_and_id(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "a")
        assert isinstance(editor.screen, AddNodeDialog)
        await pilot.press(*"publish", "enter")
        await settle(pilot)
        assert editor.document.node_ids()[-1] == "publish"
        assert editor.document.needs("publish") == ["report"]
        assert editor.canvas.selected == "publish"
        assert editor.document.dirty


async def test_adding_a_node_with_a_taken_id_keeps_the_dialog_open(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("a", *"totals", "enter")
        assert isinstance(editor.screen, AddNodeDialog)
        await pilot.press("escape")
        assert editor.document.node_ids() == ["extract", "totals", "report"]


async def test_connect_picks_the_downstream_node_with_the_selection(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c", "right", "right", "enter")
        await settle(pilot)
        assert editor.document.needs("report") == ["totals", "extract"]
        assert ("extract", "report") in editor.canvas.picture_edges()


async def test_escape_cancels_a_connection(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c", "right", "right", "escape")
        assert editor.connect_from is None
        assert editor.canvas.marked is None
        assert not editor.document.dirty


async def test_delete_removes_the_selected_node_and_its_edges(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "d")
        await settle(pilot)
        assert editor.document.node_ids() == ["extract", "report"]
        assert editor.document.needs("report") == []


async def test_delete_removes_a_selected_edge_only(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "right_square_bracket")
        assert editor.canvas.selected_edge == ("totals", "report")
        await pilot.press("delete")
        await settle(pilot)
        assert editor.document.node_ids() == ["extract", "totals", "report"]
        assert editor.document.needs("report") == []


async def test_editing_code_opens_a_highlighted_editor_and_keeps_the_text(
    editor: EditorApp,
) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        assert isinstance(editor.screen, CodeEditor)
        area = editor.screen.query_one(TextArea)
        assert area.language == "python"
        area.text = "1 + 1\n"
        await pilot.press("escape")
        await settle(pilot)
        assert editor.document.field("extract", "code") == "1 + 1"


async def test_discarding_code_edits_changes_nothing(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        editor.screen.query_one(TextArea).text = "oops"
        await pilot.press("ctrl+g")
        assert not editor.document.dirty


async def test_dragging_a_node_stores_its_position(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        canvas = editor.canvas
        box = canvas.picture.layout.boxes["report"]  # type: ignore[union-attr]
        ox, oy = canvas.origin
        grab = (box.x + ox + 3, box.y + oy + 2)  # +1 for the canvas border
        await pilot.mouse_down(GraphCanvas, offset=grab)
        await pilot.hover(GraphCanvas, offset=(grab[0] - 3, grab[1] + 4))
        await pilot.mouse_up(GraphCanvas, offset=(grab[0] - 3, grab[1] + 4))
        await pilot.pause()
        assert canvas.selected == "report"
        assert editor.document.positions() == {"report": (box.x - 3, box.y + 4)}
        assert canvas.picture.layout.boxes["report"].y == box.y + 4  # type: ignore[union-attr]


async def test_clicking_a_box_selects_it(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        canvas = editor.canvas
        box = canvas.picture.layout.boxes["totals"]  # type: ignore[union-attr]
        ox, oy = canvas.origin
        await pilot.click(GraphCanvas, offset=(box.x + ox + 4, box.y + oy + 2))
        assert canvas.selected == "totals"
        assert not editor.document.dirty


async def test_saving_writes_the_edit_and_keeps_comments(
    editor: EditorApp, pipeline_file: Path
) -> None:
    before = pipeline_file.read_text()
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("c", "right", "right", "enter", "ctrl+s")
        await settle(pilot)
    after = pipeline_file.read_text()
    assert after == before.replace("needs: [totals]", "needs: [totals, extract]")
    assert "# format version" in after
    assert not editor.document.dirty


async def test_a_cycle_shows_in_the_problems_panel_and_on_the_graph(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # report -> extract closes extract -> totals -> report into a cycle.
        await pilot.press("right", "right", "c", "left", "left", "enter")
        await settle(pilot)
        lines = problem_lines(editor)
        assert any("cycle" in line and "extract" in line for line in lines), lines
        flagged = {node for node, look in editor.canvas.looks.items() if look.problem}
        assert flagged == {"extract", "totals", "report"}


async def test_saving_an_invalid_pipeline_warns_but_writes(
    editor: EditorApp, pipeline_file: Path
) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right", "c", "left", "left", "enter")
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "needs: [report]" in pipeline_file.read_text()
        assert any("problem" in n.message for n in editor._notifications)


async def test_quitting_with_unsaved_changes_asks_first(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "d", "q")
        assert isinstance(editor.screen, ConfirmDialog)
        await pilot.press("n")
        assert editor.is_running
        await pilot.press("q", "y")
        await pilot.pause()
    assert editor.return_code == 0


async def test_quitting_without_changes_does_not_ask(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not editor.is_running


async def test_the_inspector_changes_retries(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor.query_one("#field-retries", Input).focus()
        await pilot.press("3", "enter")
        await settle(pilot)
        assert editor.document.field("extract", "retries") == 3


async def test_the_inspector_renames_a_node_and_its_references(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = editor.query_one("#field-id", Input)
        field.focus()
        field.value = "source"
        await pilot.press("enter")
        await settle(pilot)
        assert editor.document.needs("totals") == ["source"]
        assert editor.canvas.selected == "source"
        assert any("totals still mentions 'extract'" in n.message for n in editor._notifications)


async def test_every_action_is_in_the_command_palette(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        titles = [command.title for command in editor.get_system_commands(editor.screen)]
        for key in ("(a)", "(c)", "(d)", "(e)", "(ctrl+s)", "(f)", "(o)", "(q)"):
            assert any(key in title for title in titles), key


async def test_an_invalid_file_opens_and_lists_its_problems(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("name: bad\nnodes:\n  - id: a\n    lang: cobol\n    code: x\n")
    app = EditorApp(PipelineDocument.load(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        lines = problem_lines(app)
        assert any("cobol" in line for line in lines), lines
        assert app.canvas.looks["a"].problem


async def test_the_inspector_follows_the_selection_once_keys_stop(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right", "right")
        # The form is filled on a short timer after the last move; wait that timer out.
        await pilot.pause(INSPECTOR_DELAY_S * 3)
        assert editor.query_one(Inspector).node_id == "report"
        assert editor.query_one("#field-id", Input).value == "report"


async def test_the_inspector_changes_the_language(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        editor.query_one("#field-lang", Select).value = "r"
        await settle(pilot)
        assert editor.document.field("extract", "lang") == "r"
        assert editor.canvas.looks["extract"].lang == "r"


async def test_selecting_another_node_does_not_mark_the_file_changed(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right")
        await pilot.pause(INSPECTOR_DELAY_S * 3)
        await settle(pilot)
        assert not editor.document.dirty


async def test_a_file_nodes_code_is_edited_in_its_file(tmp_path: Path) -> None:
    (tmp_path / "load.py").write_text("1\n")
    path = tmp_path / "p.yaml"
    path.write_text(
        "omnix: 1\nname: p\nnodes:\n  - id: load\n    lang: python\n    file: load.py\n"
    )
    app = EditorApp(PipelineDocument.load(path))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("e")
        area = app.screen.query_one(TextArea)
        assert area.text == "1\n" and area.language == "python"
        area.text = "2\n"
        await pilot.press("escape")
        await settle(pilot)
    assert (tmp_path / "load.py").read_text() == "2\n"
    assert not app.document.dirty


async def test_undo_and_redo_step_through_edits(editor: EditorApp) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        original = editor.document.dumps()
        await pilot.press("right", "d")
        await settle(pilot)
        assert "totals" not in editor.document.node_ids()
        await pilot.press("ctrl+z")
        await settle(pilot)
        assert editor.document.dumps() == original
        assert not editor.document.dirty
        await pilot.press("ctrl+y")
        await settle(pilot)
        assert "totals" not in editor.document.node_ids()
        assert editor.document.dirty


async def test_every_key_in_the_footer_fits_at_80_columns(editor: EditorApp) -> None:
    async with editor.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = list(editor.query(FooterKey))
        assert {key.description for key in keys} >= {"Add", "Code", "Save", "Run", "Quit"}
        assert all(key.region.right <= 80 and key.region.width > 0 for key in keys), [
            (key.description, key.region) for key in keys
        ]


async def test_an_empty_inspector_field_shows_a_placeholder_that_cannot_pass_for_a_value(
    editor: EditorApp,
) -> None:
    async with editor.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for field in ("retries", "timeout"):
            box = editor.query_one(f"#field-{field}", Input)
            assert box.value == ""
            # "0" or "none" would read as the node's setting; a placeholder reads as a hint.
            assert box.placeholder.startswith("("), box.placeholder
            style = box.get_component_rich_style("input--placeholder")
            assert style.italic, style
