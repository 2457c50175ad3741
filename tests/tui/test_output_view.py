"""What the output view makes of a node's output: whole tables, values, and the start of a
large table read only in part."""

from __future__ import annotations

import json

from omnix.tui.components.output_screen import NULL, cell, describe
from omnix.tui.summaries import node_output
from rich.text import Text

ROWS = [{"id": 1, "name": "ä", "v": None}, {"id": 2, "name": "b", "v": 2.5}]


def test_a_whole_table_keeps_every_row_and_its_columns_in_order() -> None:
    text = json.dumps(ROWS)
    output = node_output("t", text, complete=True, total_bytes=len(text), max_rows=10)
    assert output.columns == ("id", "name", "v")
    assert output.rows == ((1, "ä", None), (2, "b", 2.5))
    assert output.row_count == 2 and describe(output) == "node t: 2 rows, 3 columns"


def test_rows_with_different_keys_get_the_union_of_columns() -> None:
    text = json.dumps([{"a": 1}, {"b": 2}])
    output = node_output("t", text, complete=True, total_bytes=len(text), max_rows=10)
    assert output.columns == ("a", "b") and output.rows == ((1, None), (None, 2))


def test_a_table_longer_than_the_view_says_how_many_rows_it_has() -> None:
    text = json.dumps([{"n": n} for n in range(50)])
    output = node_output("t", text, complete=True, total_bytes=len(text), max_rows=10)
    assert len(output.rows) == 10 and output.row_count == 50
    assert describe(output).startswith("node t: the first 10 rows of 50, 1 column")


def test_of_a_cut_table_the_whole_rows_before_the_cut_are_shown() -> None:
    text = json.dumps([{"n": n, "s": "x" * 5} for n in range(100)])
    cut = text[: text.index('{"n": 40')] + '{"n": 40, "s": "xx'
    output = node_output("t", cut, complete=False, total_bytes=len(text), max_rows=1000)
    assert [row[0] for row in output.rows] == list(range(40))
    assert output.row_count is None and "the first 40 rows of" in describe(output)


def test_a_value_that_is_not_a_table_is_shown_as_indented_json() -> None:
    text = json.dumps({"total": 6, "regions": ["n", "s"]})
    output = node_output("v", text, complete=True, total_bytes=len(text), max_rows=10)
    assert not output.is_table and json.loads(output.text) == json.loads(text)
    assert "\n  " in output.text


def test_an_empty_list_is_a_value_not_a_table_without_columns() -> None:
    output = node_output("v", "[]", complete=True, total_bytes=2, max_rows=10)
    assert not output.is_table and output.text == "[]"


def test_cells_mark_nulls_and_right_align_numbers() -> None:
    assert cell(None) is NULL
    number = cell(9007199254740993)
    assert isinstance(number, Text) and number.plain == "9007199254740993"
    assert number.justify == "right"
    assert cell(True) == "true" and cell("") == "" and cell({"a": 1}) == '{"a": 1}'
