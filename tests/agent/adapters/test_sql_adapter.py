"""The SQL node contract (§3): real DuckDB over upstream tables, and real SQLite files."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import NodeStatus, RunStatus

pytestmark = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]

EXTRACT = """
  - id: extract
    lang: python
    code: |
      import pandas as pd
      pd.DataFrame({"region": ["north", "south", "north"], "amount": [10, 20, 5]})
"""


async def test_upstream_tables_are_queried_by_node_id_with_params_bound(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline(
        "omnix: 1\nname: totals\nparams: {min_amount: 6}\nnodes:\n"
        + EXTRACT
        + """
  - id: totals
    lang: sql
    needs: [extract]
    code: |
      SELECT region, SUM(amount) AS total FROM extract
      WHERE amount >= $min_amount GROUP BY region ORDER BY region
"""
    )
    document = await engine.run(pipeline)
    assert document.nodes["totals"].output == [
        {"region": "north", "total": 10},
        {"region": "south", "total": 20},
    ]
    lower = await engine.run(pipeline, params={"min_amount": 1})
    assert lower.nodes["totals"].output[0] == {"region": "north", "total": 15}


async def test_the_last_statement_result_is_the_output(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: statements
        nodes:
          - id: q
            lang: sql
            code: |
              CREATE TABLE t AS SELECT * FROM range(3) r(n);
              INSERT INTO t VALUES (10);
              SELECT sum(n) AS total, count(*) AS rows FROM t
    """)
    document = await engine.run(pipeline)
    assert document.nodes["q"].output == [{"total": 13, "rows": 4}]


async def test_a_sql_error_names_the_node_and_the_line(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: sqlerror
        nodes:
          - id: broken
            lang: sql
            code: |
              SELECT 1 AS one;
              SELECT 2 AS two;
              SELECT * FROM missing_table
    """)
    document = await engine.run(pipeline)
    error = document.nodes["broken"].error or ""
    assert error.startswith("node 'broken', line 3: Catalog Error: Table with name missing_table")


async def test_a_syntax_error_points_at_the_line_within_the_statement(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: sqlsyntax
        nodes:
          - id: broken
            lang: sql
            code: |
              SELECT 1;
              SELECT a,
                FROM WHERE
    """)
    document = await engine.run(pipeline)
    assert (document.nodes["broken"].error or "").startswith(
        "node 'broken', line 3: Parser Error: syntax error at or near \"WHERE\""
    )


async def test_an_unknown_parameter_is_a_clear_error(engine: Engine, make_pipeline: Make) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: sqlparam
        params: {limit_to: 3}
        nodes:
          - {id: q, lang: sql, code: "SELECT $threshold AS t"}
    """)
    document = await engine.run(pipeline)
    assert "$threshold is not a parameter of this run (the run's params: limit_to)" in (
        document.nodes["q"].error or ""
    )


async def test_a_sqlite_connection_queries_the_file_relative_to_the_pipeline(
    engine: Engine, make_pipeline: Make, tmp_path: Path
) -> None:
    with sqlite3.connect(tmp_path / "shop.db") as db:
        db.execute("CREATE TABLE orders (id INTEGER, amount REAL)")
        db.executemany("INSERT INTO orders VALUES (?, ?)", [(1, 9.5), (2, 20.0), (3, 1.0)])
    pipeline = make_pipeline("""
        omnix: 1
        name: sqlite
        params: {min_amount: 5}
        nodes:
          - id: big_orders
            lang: sql
            connection: sqlite:shop.db
            code: |
              SELECT id, amount FROM orders
              WHERE amount >= $min_amount ORDER BY id
    """)
    document = await engine.run(pipeline)
    assert document.nodes["big_orders"].output == [
        {"id": 1, "amount": 9.5},
        {"id": 2, "amount": 20.0},
    ]


async def test_a_missing_sqlite_file_at_run_time_is_a_clear_error(
    engine: Engine, make_pipeline: Make, tmp_path: Path
) -> None:
    (tmp_path / "gone.db").touch()
    pipeline = make_pipeline("""
        omnix: 1
        name: sqlitegone
        nodes:
          - {id: q, lang: sql, connection: "sqlite:gone.db", code: "SELECT 1"}
    """)
    (tmp_path / "gone.db").unlink()  # valid when checked, gone when run
    document = await engine.run(pipeline)
    assert document.nodes["q"].status is NodeStatus.FAILED
    assert "connection sqlite:gone.db: no SQLite file at" in (document.nodes["q"].error or "")


async def test_a_statement_without_a_result_set_outputs_null(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: ddl
        nodes:
          - {id: q, lang: sql, code: "CREATE TABLE t (x INTEGER)"}
    """)
    document = await engine.run(pipeline)
    assert document.status is RunStatus.SUCCEEDED
    assert document.nodes["q"].output is None


async def test_dates_decimals_and_big_integers_become_exact_json(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: types
        nodes:
          - id: q
            lang: sql
            code: |
              SELECT DATE '2026-01-02' AS day, 1.25::DECIMAL(10, 2) AS price,
                     SUM(x) AS total, 9007199254740993::BIGINT AS big, 'nan'::DOUBLE AS missing
              FROM (VALUES (1), (2)) t(x)
    """)
    document = await engine.run(pipeline)
    assert document.nodes["q"].output == [
        {"day": "2026-01-02", "price": 1.25, "total": 3, "big": 9007199254740993, "missing": None}
    ]


async def test_infinity_in_a_table_is_reported_not_hidden(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: inf
        nodes:
          - {id: q, lang: sql, code: "SELECT 'inf'::DOUBLE AS ratio"}
    """)
    document = await engine.run(pipeline)
    result = document.nodes["q"]
    assert result.status is NodeStatus.SUCCEEDED and result.output is None
    assert "column 'ratio' holds Infinity" in (result.error or "")


async def test_tables_a_node_creates_do_not_leak_into_the_next_node(
    engine: Engine, make_pipeline: Make
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: isolation
        nodes:
          - {id: first, lang: sql, code: "CREATE TABLE scratch AS SELECT 1 AS x; SELECT * FROM scratch"}
          - {id: second, lang: sql, needs: [first], code: "CREATE TABLE scratch AS SELECT 2 AS x; SELECT * FROM scratch"}
          - {id: probe, lang: sql, needs: [second], code: "SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'scratch'"}
    """)
    document = await engine.run(pipeline)
    assert document.nodes["first"].output == [{"x": 1}]
    assert document.nodes["second"].output == [{"x": 2}]
    assert document.nodes["probe"].output == [{"n": 0}]
