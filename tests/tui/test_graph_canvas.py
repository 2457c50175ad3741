"""The canvas repaints only what changed and shows state without relying on colour."""

from __future__ import annotations

from pathlib import Path

from omnix.shared.status import NodeStatus
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument
from omnix.tui.drawing import STATE_SYMBOL
from textual.pilot import Pilot


async def settle(pilot: Pilot[None]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def box_rows(app: EditorApp, node_id: str) -> set[int]:
    box = app.canvas.picture.layout.boxes[node_id]  # type: ignore[union-attr]
    return set(range(box.y, box.bottom))


async def test_moving_the_selection_rebuilds_only_the_two_boxes_rows(tmp_path: Path) -> None:
    nodes = "".join(
        f"  - id: n{i}\n    lang: python\n    code: '1'\n"
        + (f"    needs: [n{i - 1}]\n" if i % 4 else "")
        for i in range(40)
    )
    path = tmp_path / "big.yaml"
    path.write_text(f"name: big\nnodes:\n{nodes}")
    editor = EditorApp(PipelineDocument.load(path))
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        canvas = editor.canvas
        for row in range(canvas.picture.height):  # type: ignore[union-attr]
            canvas.row_strip(row)
        cached = canvas.cached_rows
        canvas.select("n1", scroll=False)
        dropped = cached - canvas.cached_rows
        assert dropped == box_rows(editor, "n0") | box_rows(editor, "n1")


async def test_the_selected_box_has_a_heavy_border(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        canvas = editor.canvas
        box = canvas.picture.layout.boxes["extract"]  # type: ignore[union-attr]
        line = canvas.row_strip(box.y).text
        assert "┏" in line and "┓" in line


async def test_run_states_show_as_symbols_and_durations(editor: EditorApp) -> None:
    async with editor.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        canvas = editor.canvas
        canvas.set_state("totals", NodeStatus.SUCCEEDED, 1.25)
        canvas.set_state("report", NodeStatus.UPSTREAM_FAILED)
        text = canvas.picture.text()  # type: ignore[union-attr]
        assert f"{STATE_SYMBOL[NodeStatus.SUCCEEDED]} totals" in text
        assert "1.2s" in text or "1.3s" in text
        assert f"{STATE_SYMBOL[NodeStatus.UPSTREAM_FAILED]} report" in text


def test_every_state_has_its_own_symbol() -> None:
    symbols = [STATE_SYMBOL[status] for status in NodeStatus]
    assert len(set(symbols)) == len(symbols)


def chain_file(tmp_path: Path, count: int) -> Path:
    nodes = "".join(
        f"  - id: step_{i}\n    lang: python\n    code: '1'\n"
        + (f"    needs: [step_{i - 1}]\n" if i else "")
        for i in range(count)
    )
    path = tmp_path / "chain.yaml"
    path.write_text(f"omnix: 1\nname: chain\nnodes:\n{nodes}")
    return path


async def test_fit_on_a_big_graph_switches_to_the_overview_and_back(tmp_path: Path) -> None:
    editor = EditorApp(PipelineDocument.load(chain_file(tmp_path, 12)))
    async with editor.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        canvas = editor.canvas
        full_width = canvas.picture.width  # type: ignore[union-attr]
        await pilot.press("f")
        assert canvas.compact
        assert canvas.picture.width < full_width  # type: ignore[union-attr]
        assert {box.height for box in canvas.picture.layout.boxes.values()} == {1}  # type: ignore[union-attr]
        assert "[○ step_3]" in canvas.picture.text()  # type: ignore[union-attr]
        await pilot.press("right")
        assert canvas.selected == "step_1"
        await pilot.press("f")
        assert not canvas.compact
        assert canvas.selected == "step_1"


async def test_fit_on_a_small_graph_centres_it(editor: EditorApp) -> None:
    async with editor.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        canvas = editor.canvas
        assert not canvas.compact
        ox, oy = canvas.origin
        assert ox > 0 and oy > 0
