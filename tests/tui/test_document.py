"""The editable document changes exactly what an edit asks for and keeps the rest."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
from omnix.shared.pipeline import parse_pipeline
from omnix.tui.document import DocumentError, PipelineDocument
from omnix.tui.history import EditHistory

EXAMPLE = Path(__file__).with_name("sales.yaml")


def changed_lines(before: str, after: str) -> list[str]:
    """The +/- lines of a unified diff, without headers."""
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.fixture
def doc(tmp_path: Path) -> PipelineDocument:
    path = tmp_path / "sales.yaml"
    path.write_text(EXAMPLE.read_text())
    return PipelineDocument.load(path)


def test_loading_and_dumping_an_untouched_file_is_byte_identical(doc: PipelineDocument) -> None:
    assert doc.dumps() == EXAMPLE.read_text()
    assert not doc.dirty


def test_adding_a_node_appends_only_that_node(doc: PipelineDocument) -> None:
    doc.add_node("clean", "python", "a = 1\nb = 2\n", needs=("extract",))
    assert changed_lines(doc.saved_text, doc.dumps()) == [
        "+  - id: clean",
        "+    lang: python",
        "+    needs: [extract]",
        "+    code: |",
        "+      a = 1",
        "+      b = 2",
    ]
    assert doc.dirty


def test_adding_a_node_with_a_taken_or_malformed_id_is_refused(doc: PipelineDocument) -> None:
    with pytest.raises(ValueError, match="already exists"):
        doc.add_node("extract", "python")
    with pytest.raises(ValueError, match="not a valid id"):
        doc.add_node("Bad-Id", "python")


def test_removing_a_node_also_removes_edges_to_it(doc: PipelineDocument) -> None:
    doc.remove_node("totals")
    assert doc.node_ids() == ["extract", "report"]
    assert doc.needs("report") == []
    diff = changed_lines(doc.saved_text, doc.dumps())
    assert "-    needs: [totals]" in diff
    assert all(line.startswith("-") for line in diff)


def test_connecting_appends_to_an_existing_flow_list(doc: PipelineDocument) -> None:
    doc.connect("extract", "report")
    assert changed_lines(doc.saved_text, doc.dumps()) == [
        "-    needs: [totals]",
        "+    needs: [totals, extract]",
    ]


def test_connecting_a_node_without_needs_adds_the_key_after_lang(doc: PipelineDocument) -> None:
    doc.add_node("first", "sql", "select 1")
    doc.save()
    doc.connect("report", "first")
    assert changed_lines(doc.saved_text, doc.dumps()) == ["+    needs: [report]"]
    assert list(doc.node("first")) == ["id", "lang", "needs", "code"]


def test_disconnecting_the_last_upstream_drops_the_needs_key(doc: PipelineDocument) -> None:
    doc.disconnect("totals", "report")
    assert changed_lines(doc.saved_text, doc.dumps()) == ["-    needs: [totals]"]


def test_renaming_updates_every_reference(doc: PipelineDocument) -> None:
    doc.set_position("totals", 3, 4)
    doc.save()
    doc.rename("totals", "sums")
    assert changed_lines(doc.saved_text, doc.dumps()) == [
        "-  - id: totals",
        "+  - id: sums",
        "-    needs: [totals]",
        "+    needs: [sums]",
        "-    totals: [3, 4]",
        "+    sums: [3, 4]",
    ]


def test_setting_fields_keeps_comments_and_order(doc: PipelineDocument) -> None:
    doc.set_field("report", "retries", 2)
    doc.set_field("report", "timeout", 30)
    doc.set_field("report", "requires", ["gpu", "big"])
    doc.set_field("extract", "lang", "r")
    diff = changed_lines(doc.saved_text, doc.dumps())
    assert diff == [
        "-    lang: python",
        "+    lang: r",
        "+    requires: [gpu, big]",
        "+    timeout: 30",
        "+    retries: 2",
    ]
    assert "# format version" in doc.dumps()


def test_setting_a_field_to_none_removes_it(doc: PipelineDocument) -> None:
    doc.set_field("report", "retries", 2)
    doc.save()
    doc.set_field("report", "retries", None)
    assert changed_lines(doc.saved_text, doc.dumps()) == ["-    retries: 2"]


def test_editing_code_writes_a_literal_block(doc: PipelineDocument) -> None:
    doc.set_field("report", "code", "const x = 1;\nx + 1\n")
    assert changed_lines(doc.saved_text, doc.dumps())[1:] == [
        "+    code: |",
        "+      const x = 1;",
        "+      x + 1",
    ]


def test_code_ending_in_blank_lines_saves_as_a_plain_block_without_an_end_marker(
    doc: PipelineDocument,
) -> None:
    last = doc.node_ids()[-1]
    doc.set_field(last, "code", "x = 1\nx + 1\n\n  \n\n")
    text = doc.dumps()
    assert "|+" not in text and "\n...\n" not in text, text
    assert parse_pipeline(text).nodes[-1].code == "x = 1\nx + 1\n"


def test_positions_are_stored_under_ui(doc: PipelineDocument) -> None:
    doc.set_position("extract", 10, 2)
    doc.set_position("report", 40, 6)
    assert doc.positions() == {"extract": (10, 2), "report": (40, 6)}
    assert doc.dumps().endswith("ui:\n  positions:\n    extract: [10, 2]\n    report: [40, 6]\n")


def test_save_round_trip_keeps_untouched_text(doc: PipelineDocument, tmp_path: Path) -> None:
    doc.connect("extract", "report")
    doc.save()
    reloaded = PipelineDocument.load(doc.path)
    assert reloaded.needs("report") == ["totals", "extract"]
    before = EXAMPLE.read_text()
    assert changed_lines(before, doc.path.read_text()) == [
        "-    needs: [totals]",
        "+    needs: [totals, extract]",
    ]


def test_a_zero_offset_sequence_style_is_kept() -> None:
    text = "name: x\nnodes:\n- id: a\n  lang: python\n  code: '1'\n"
    doc = PipelineDocument(text)
    doc.add_node("b", "sql", "select 1", needs=("a",))
    assert doc.dumps() == text + "- id: b\n  lang: sql\n  needs: [a]\n  code: select 1\n"


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="no such file"):
        PipelineDocument.load(tmp_path / "nope.yaml")


def test_text_that_is_not_yaml_is_a_clear_error() -> None:
    with pytest.raises(DocumentError, match=r"^bad\.yaml:2: YAML syntax error: .*text editor"):
        PipelineDocument("nodes: [a\n", "bad.yaml")


def test_a_top_level_list_is_a_clear_error() -> None:
    with pytest.raises(DocumentError, match="mapping at the top level"):
        PipelineDocument("- a\n- b\n", "list.yaml")


def test_code_mentioning_finds_whole_words_only(doc: PipelineDocument) -> None:
    assert doc.code_mentioning("totals") == ["report"]
    assert doc.code_mentioning("extract") == ["totals"]
    assert doc.code_mentioning("tot") == []


def test_history_steps_back_and_forward() -> None:
    history = EditHistory()
    history.remember("a")
    history.remember("b")
    assert history.undo("c") == "b"
    assert history.undo("b") == "a"
    assert history.undo("a") is None
    assert history.redo("a") == "b"
    history.remember("b")
    assert history.redo("x") is None
