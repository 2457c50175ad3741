"""Tables through R, Go and Scala come back exactly: every pair that touches one of them.

A source table (from SQL, Python or JavaScript) holds the awkward values: 2^53+1 and int64's
bounds, a null in every column type, NaN beside null, unicode and the empty string, a
0.1+0.2 that needs 17 digits, dates before 1970, naive and zoned timestamps to the
microsecond. It goes through a node of the language under test that returns it unchanged,
and DuckDB describes both tables (type and exact text of every value): the descriptions
are equal. docs/languages.md states the rules this checks.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import RunStatus

from tests.agent.adapters.languages.conftest import LANGUAGES, SNIPPETS, node_yaml

pytestmark = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]

SQL_SOURCE = """SELECT * FROM (VALUES
  (9007199254740993::BIGINT, 1::INTEGER, true, 'a', 1.5::DOUBLE, DATE '2024-02-29',
   TIMESTAMP '2024-03-31 02:30:00.123456', TIMESTAMPTZ '2024-01-01 12:00:00.000001+00'),
  (9223372036854775807, NULL, NULL, 'ü ✓', 'NaN'::DOUBLE, DATE '1900-03-01',
   TIMESTAMP '1969-12-31 23:59:59.999999', NULL),
  (NULL, 2, false, NULL, NULL, NULL, NULL, TIMESTAMPTZ '1970-01-01 00:00:00+00'),
  (-9223372036854775808, 3, true, '', 0.1::DOUBLE + 0.2::DOUBLE, DATE '2100-12-31',
   TIMESTAMP '2262-04-11 00:00:00', NULL)
) AS t(big, small, flag, name, score, day, wall, instant)"""
SQL_COLUMNS = ("big", "small", "flag", "name", "score", "day", "wall", "instant")

PYTHON_SOURCE = """import pandas as pd
pd.DataFrame({
    "big": pd.array([9007199254740993, 9223372036854775807, None, -9223372036854775808], dtype="Int64"),
    "small": pd.array([1, None, 2, 3], dtype="Int32"),
    "flag": pd.array([True, None, False, True], dtype="boolean"),
    "name": ["a", "ü ✓", None, ""],
    "score": [1.5, None, 2.5, 0.1 + 0.2],
})"""
JS_SOURCE = """[
  {big: 9007199254740993n, small: 1, flag: true, name: "a", score: 1.5},
  {big: 9223372036854775807n, small: null, flag: null, name: "ü ✓", score: null},
  {big: null, small: 2, flag: false, name: null, score: 2.5},
  {big: -9223372036854775808n, small: 3, flag: true, name: "", score: 0.1 + 0.2},
]"""
SOURCES = {
    "sql": (SQL_SOURCE, SQL_COLUMNS),
    "python": (PYTHON_SOURCE, SQL_COLUMNS[:5]),
    "javascript": (JS_SOURCE, SQL_COLUMNS[:5]),
}


def describe(table: str, columns: tuple[str, ...]) -> str:
    """DuckDB's account of `table`: each column's type and the exact text of each value."""
    parts = []
    for column in columns:
        text = f"CAST({column} AS VARCHAR)"
        if column == "score":
            text = f"CASE WHEN isnan({column}) THEN 'NaN' ELSE {text} END"
        if column == "instant":
            text = f"CAST(epoch_us({column}) AS VARCHAR)"
        parts.append(f"typeof({column}) AS {column}_type, {text} AS {column}")
    return f"SELECT {', '.join(parts)} FROM {table}"


async def descriptions(engine: Engine, make: Make, nodes: str) -> tuple[object, object]:
    document = await engine.run(make("omnix: 1\nname: trip\nnodes:\n" + nodes))
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    return document.nodes["before"].output, document.nodes["after"].output


@pytest.mark.parametrize("source", sorted(SOURCES))
async def test_a_table_through_the_language_comes_back_exactly(
    engine: Engine, make_pipeline: Make, language: str, source: str
) -> None:
    code, columns = SOURCES[source]
    if language == "r":  # int64's minimum is bit64's NA: refused (the next test), so one above
        code = code.replace("-9223372036854775808", "-9223372036854775807")
    nodes = (
        node_yaml("source", source, code)
        + node_yaml("through", language, SNIPPETS[language].identity, needs="source")
        + node_yaml("before", "sql", describe("source", columns), needs="source")
        + node_yaml("after", "sql", describe("through", columns), needs="through")
    )
    before, after = await descriptions(engine, make_pipeline, nodes)
    assert after == before


async def test_int64_minimum_is_refused_by_r_never_read_as_na(
    engine: Engine, make_pipeline: Make, require_binary: Callable[[str, str], str]
) -> None:
    require_binary("Rscript", "apt-get install r-base-core")
    nodes = node_yaml("source", "sql", SQL_SOURCE) + node_yaml(
        "through", "r", "source", needs="source"
    )
    document = await engine.run(make_pipeline("omnix: 1\nname: minimum\nnodes:\n" + nodes))
    error = document.nodes["through"].error or ""
    assert "column 'big' holds -9223372036854775808" in error and "bit64 uses as NA" in error


@pytest.mark.parametrize("target", ["python", "javascript", "sql", *LANGUAGES])
async def test_a_table_the_language_makes_arrives_exactly(
    engine: Engine, make_pipeline: Make, language: str, target: str
) -> None:
    """The language's own table (int64 beyond 2^53, nulls, unicode, 0.1+0.2) read by another."""
    readers = {
        "python": "{c: [None if v is None or v != v else v for v in source[c].astype(object).where(source[c].notna(), None)] for c in source.columns}",
        "javascript": "Object.fromEntries(Object.keys(source[0]).map(c => [c, source.map(r => typeof r[c] === 'bigint' ? r[c].toString() : r[c])]))",
        "sql": "SELECT CAST(big AS VARCHAR) AS big, name, CAST(score AS VARCHAR) AS score, flag FROM source",
        **{other: SNIPPETS[other].identity for other in LANGUAGES},
    }
    nodes = node_yaml("source", language, SNIPPETS[language].big_table) + node_yaml(
        "seen", target, readers[target], needs="source"
    )
    document = await engine.run(make_pipeline("omnix: 1\nname: made\nnodes:\n" + nodes))
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    seen = document.nodes["seen"].output
    big = [9007199254740993, 9223372036854775807, None]
    names = ["a", None, "ü"]
    scores = [1.5, None, 0.30000000000000004]
    flags = [True, None, False]
    if target == "javascript":
        assert seen == {"big": ["9007199254740993", "9223372036854775807", None],
                        "name": names, "score": scores, "flag": flags}  # fmt: skip
    elif target == "sql":
        assert seen == [
            {"big": "9007199254740993", "name": "a", "score": "1.5", "flag": True},
            {"big": "9223372036854775807", "name": None, "score": None, "flag": None},
            {"big": None, "name": "ü", "score": "0.30000000000000004", "flag": False},
        ]
    elif target == "python":
        assert {c: seen[c] for c in ("big", "name", "score", "flag")} == {
            "big": big,
            "name": names,
            "score": scores,
            "flag": flags,
        }
    else:
        rows = [dict(zip(("big", "name", "score", "flag"), values, strict=True))
                for values in zip(big, names, scores, flags, strict=True)]  # fmt: skip
        assert [{k: row[k] for k in ("big", "name", "score", "flag")} for row in seen] == rows


async def test_an_empty_table_keeps_its_columns_in_r_and_is_an_empty_list_in_go_and_scala(
    engine: Engine, make_pipeline: Make, language: str
) -> None:
    """R's data.frame has columns without rows; Go's and Scala's lists of rows do not, so an
    empty one is the JSON value [] (docs/languages.md)."""
    empty = "SELECT 1::BIGINT AS id, 'a' AS name, DATE '2024-01-01' AS day WHERE false"
    nodes = (
        node_yaml("source", "sql", empty)
        + node_yaml("through", language, SNIPPETS[language].identity, needs="source")
        + node_yaml(
            "kind",
            "python",
            "{'type': type(through).__name__, 'columns': list(getattr(through, 'columns', []))}",
            needs="through",
        )
    )
    document = await engine.run(make_pipeline("omnix: 1\nname: empty\nnodes:\n" + nodes))
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    if language == "r":
        assert document.nodes["kind"].output == {
            "type": "DataFrame",
            "columns": ["id", "name", "day"],
        }
    else:
        assert document.nodes["kind"].output == {"type": "list", "columns": []}
