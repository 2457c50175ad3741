"""The PostgreSQL connector against a real server: params, result sets with exact types,
COPY of an upstream table, errors at the node's line, secrets as libpq variables."""

from __future__ import annotations

import decimal
import uuid
from collections.abc import Callable

import psycopg
import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import NodeStatus, RunStatus

from tests.agent.adapters.languages.conftest import node_yaml
from tests.agent.connectors.conftest import PostgresServer

pytestmark = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]


@pytest.fixture
def database(postgres: PostgresServer) -> str:
    """A fresh database on the session's server, its URL."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres.url(), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return postgres.url(name)


def pg_node(node_id: str, code: str, url: str, *, needs: str = "") -> str:
    return node_yaml(
        node_id, "postgres", code, needs=needs, extra=f"            connection: {url}\n"
    )


async def run(engine: Engine, make: Make, nodes: str, params: str = "") -> dict[str, object]:
    document = await engine.run(make("omnix: 1\nname: pg\n" + params + "nodes:\n" + nodes))
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    return {node_id: node.output for node_id, node in document.nodes.items()}


async def test_a_query_with_params_returns_a_table_with_exact_types(
    engine: Engine, make_pipeline: Make, database: str
) -> None:
    code = (
        "SELECT 9007199254740993::bigint AS big, 12345678901234567.8901::numeric(38, 4) AS amount,\n"
        "       $region AS region, $limit::int AS lim, NULL::boolean AS flag,\n"
        "       DATE '1900-03-01' AS day, TIMESTAMPTZ '2024-01-01 12:00:00.000001+02' AS at,\n"
        "       '{\"a\": [1, 2.5]}'::jsonb AS doc, 'it''s 100%' AS text"
    )
    nodes = pg_node("q", code, database) + node_yaml(
        "types", "python", "{c: str(q[c].dtype) for c in q.columns}", needs="q"
    )
    outputs = await run(engine, make_pipeline, nodes, params="params:\n  region: süd\n  limit: 7\n")
    assert outputs["q"] == [
        {"big": 9007199254740993, "amount": "12345678901234567.8901", "region": "süd", "lim": 7,
         "flag": None, "day": "1900-03-01", "at": "2024-01-01T10:00:00.000001+00:00",
         "doc": '{"a": [1, 2.5]}', "text": "it's 100%"},
    ]  # fmt: skip
    types = outputs["types"]
    assert isinstance(types, dict)
    assert types["big"] == "Int64" and types["lim"] == "Int32" and types["flag"] == "boolean"


async def test_a_param_is_bound_never_spliced_into_the_sql(
    engine: Engine, make_pipeline: Make, database: str
) -> None:
    outputs = await run(
        engine,
        make_pipeline,
        pg_node("q", "SELECT $name AS name, '$name' AS literal", database),
        params='params:\n  name: "x\'); DROP TABLE users; --"\n',
    )
    assert outputs["q"] == [{"name": "x'); DROP TABLE users; --", "literal": "$name"}]


async def test_copy_loads_an_upstream_table_and_statements_share_a_transaction(
    engine: Engine, make_pipeline: Make, database: str
) -> None:
    source = "SELECT * FROM (VALUES (9007199254740993::BIGINT, 'ü', 1.25::DECIMAL(10,2)), (NULL, NULL, NULL)) t(id, name, price)"
    load = (
        "CREATE TABLE items (id bigint, name text, price numeric(10, 2));\n"
        "COPY items FROM source;\n"
        "SELECT id, name, price, pg_typeof(price)::text AS type FROM items ORDER BY id NULLS LAST"
    )
    nodes = node_yaml("source", "sql", source) + pg_node("load", load, database, needs="source")
    outputs = await run(engine, make_pipeline, nodes)
    assert outputs["load"] == [
        {"id": 9007199254740993, "name": "ü", "price": 1.25, "type": "numeric"},
        {"id": None, "name": None, "price": None, "type": "numeric"},
    ]
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT price FROM items WHERE id IS NOT NULL").fetchone() == (
            decimal.Decimal("1.25"),
        )


async def test_a_failing_statement_names_its_line_and_rolls_everything_back(
    engine: Engine, make_pipeline: Make, database: str
) -> None:
    code = "CREATE TABLE kept (x int);\nINSERT INTO kept VALUES (1);\nSELECT * FROM missing_table"
    document = await engine.run(
        make_pipeline("omnix: 1\nname: pgerr\nnodes:\n" + pg_node("bad", code, database))
    )
    result = document.nodes["bad"]
    assert result.status is NodeStatus.FAILED
    assert 'UndefinedTable: line 3: relation "missing_table" does not exist' in (result.error or "")
    with psycopg.connect(database) as conn:
        assert conn.execute("SELECT to_regclass('kept')").fetchone() == (None,)


async def test_an_unknown_param_is_named_with_the_runs_params(
    engine: Engine, make_pipeline: Make, database: str
) -> None:
    code = "SELECT 1;\nSELECT $nope"
    document = await engine.run(
        make_pipeline(
            "omnix: 1\nname: pgparam\nparams:\n  a: 1\nnodes:\n" + pg_node("q", code, database)
        )
    )
    assert "line 2: $nope is not a parameter of this run (params: a)" in (
        document.nodes["q"].error or ""
    )


async def test_a_server_that_does_not_answer_is_a_clear_error(
    engine: Engine, make_pipeline: Make, postgres: PostgresServer
) -> None:
    url = "postgresql://omnix@127.0.0.1:1/postgres"
    document = await engine.run(
        make_pipeline("omnix: 1\nname: pgdown\nnodes:\n" + pg_node("q", "SELECT 1", url))
    )
    assert "cannot connect to PostgreSQL at 127.0.0.1:1/postgres" in (
        document.nodes["q"].error or ""
    )
