"""Nulls and 64-bit integers cross every language boundary exactly.

Each test sends the same awkward values (2^53+1, int64's maximum and minimum, and a null
in every column type) across one boundary and checks values and types on the other side.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import RunStatus

BIG = 2**53 + 1
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)

SQL_SOURCE = f"""
          - id: source
            lang: sql
            code: |
              SELECT * FROM (VALUES
                ({BIG}::BIGINT, 1::INTEGER, true, 'a', 1.5::DOUBLE),
                ({INT64_MAX}::BIGINT, NULL, NULL, NULL, NULL),
                (NULL, 2, false, 'b', 2.5),
                (({INT64_MIN})::BIGINT, 3, true, NULL, NULL)
              ) AS t(big, small, flag, name, score)
"""

JS_SOURCE = f"""
          - id: source
            lang: javascript
            code: |
              [
                {{big: {BIG}n, small: 1, flag: true, name: "a", score: 1.5}},
                {{big: {INT64_MAX}n, small: null, flag: null, name: null, score: null}},
                {{big: null, small: 2, flag: false, name: "b", score: 2.5}},
                {{big: {INT64_MIN}n, small: 3, flag: true, name: null, score: null}},
              ]
"""

PYTHON_SOURCE = f"""
          - id: source
            lang: python
            code: |
              import pandas as pd
              pd.DataFrame({{
                  "big": pd.array([{BIG}, {INT64_MAX}, None, {INT64_MIN}], dtype="Int64"),
                  "small": pd.array([1, None, 2, 3], dtype="Int32"),
                  "flag": pd.array([True, None, False, True], dtype="boolean"),
                  "name": ["a", None, "b", None],
                  "score": [1.5, None, 2.5, None],
              }})
"""

EXPECTED_COLUMNS = {
    "big": [BIG, INT64_MAX, None, INT64_MIN],
    "small": [1, None, 2, 3],
    "flag": [True, None, False, True],
    "name": ["a", None, "b", None],
    "score": [1.5, None, 2.5, None],
}

PYTHON_READS = """
          - id: seen
            lang: python
            needs: [source]
            code: |
              import pandas as pd
              {
                  "values": {
                      c: [None if pd.isna(v) else v for v in source[c].tolist()]
                      for c in source.columns
                  },
                  "integers_exact": source["big"].dtype.kind != "f",
              }
"""


@pytest.fixture
def node_js(require_binary: Callable[[str, str], str]) -> str:
    return require_binary("node", "apt-get install nodejs")


async def run_nodes(
    engine: Engine, make_pipeline: Callable[[str], Pipeline], nodes: str
) -> dict[str, object]:
    document = await engine.run(make_pipeline("omnix: 1\nname: exact\nnodes:\n" + nodes))
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    return {node_id: node.output for node_id, node in document.nodes.items()}


@pytest.mark.asyncio(loop_scope="module")
async def test_sql_to_python_keeps_big_integers_and_nulls(
    engine: Engine, make_pipeline: Callable[[str], Pipeline]
) -> None:
    outputs = await run_nodes(engine, make_pipeline, SQL_SOURCE + PYTHON_READS)
    assert outputs["seen"] == {"values": EXPECTED_COLUMNS, "integers_exact": True}


@pytest.mark.asyncio(loop_scope="module")
async def test_javascript_to_python_keeps_big_integers_and_nulls(
    engine: Engine, make_pipeline: Callable[[str], Pipeline], node_js: str
) -> None:
    outputs = await run_nodes(engine, make_pipeline, JS_SOURCE + PYTHON_READS)
    assert outputs["seen"] == {"values": EXPECTED_COLUMNS, "integers_exact": True}


@pytest.mark.asyncio(loop_scope="module")
async def test_python_to_python_keeps_big_integers_and_nulls(
    engine: Engine, make_pipeline: Callable[[str], Pipeline]
) -> None:
    outputs = await run_nodes(engine, make_pipeline, PYTHON_SOURCE + PYTHON_READS)
    assert outputs["seen"] == {"values": EXPECTED_COLUMNS, "integers_exact": True}


@pytest.mark.asyncio(loop_scope="module")
async def test_a_python_node_sees_nullable_integer_and_boolean_dtypes(
    engine: Engine, make_pipeline: Callable[[str], Pipeline]
) -> None:
    outputs = await run_nodes(
        engine,
        make_pipeline,
        SQL_SOURCE
        + """
          - id: dtypes
            lang: python
            needs: [source]
            code: |
              {c: str(source[c].dtype) for c in source.columns}
""",
    )
    assert outputs["dtypes"] == {
        "big": "Int64",
        "small": "Int32",
        "flag": "boolean",
        "name": "str",
        "score": "float64",
    }


@pytest.mark.asyncio(loop_scope="module")
async def test_python_to_sql_keeps_big_integers_and_nulls(
    engine: Engine, make_pipeline: Callable[[str], Pipeline]
) -> None:
    outputs = await run_nodes(
        engine,
        make_pipeline,
        PYTHON_SOURCE
        + """
          - id: seen
            lang: sql
            needs: [source]
            code: |
              SELECT big, big + 0 AS same, typeof(big) AS type, small, flag, name, score
              FROM source
""",
    )
    assert outputs["seen"] == [
        {"big": BIG, "same": BIG, "type": "BIGINT", "small": 1, "flag": True,
         "name": "a", "score": 1.5},
        {"big": INT64_MAX, "same": INT64_MAX, "type": "BIGINT", "small": None,
         "flag": None, "name": None, "score": None},
        {"big": None, "same": None, "type": "BIGINT", "small": 2, "flag": False,
         "name": "b", "score": 2.5},
        {"big": INT64_MIN, "same": INT64_MIN, "type": "BIGINT", "small": 3, "flag": True,
         "name": None, "score": None},
    ]  # fmt: skip


@pytest.mark.asyncio(loop_scope="module")
async def test_python_to_javascript_keeps_big_integers_and_nulls(
    engine: Engine, make_pipeline: Callable[[str], Pipeline], node_js: str
) -> None:
    outputs = await run_nodes(
        engine,
        make_pipeline,
        PYTHON_SOURCE
        + """
          - id: seen
            lang: javascript
            needs: [source]
            code: |
              source.map(r => ({
                big: r.big === null ? null : `${typeof r.big} ${r.big}`,
                small: r.small, flag: r.flag, name: r.name, score: r.score,
              }))
""",
    )
    assert outputs["seen"] == [
        {"big": f"bigint {BIG}", "small": 1, "flag": True, "name": "a", "score": 1.5},
        {"big": f"bigint {INT64_MAX}", "small": None, "flag": None, "name": None,
         "score": None},
        {"big": None, "small": 2, "flag": False, "name": "b", "score": 2.5},
        {"big": f"bigint {INT64_MIN}", "small": 3, "flag": True, "name": None, "score": None},
    ]  # fmt: skip


@pytest.mark.asyncio(loop_scope="module")
async def test_a_python_list_with_pandas_nulls_is_json_with_nulls(
    engine: Engine, make_pipeline: Callable[[str], Pipeline]
) -> None:
    outputs = await run_nodes(
        engine,
        make_pipeline,
        SQL_SOURCE
        + """
          - id: listed
            lang: python
            needs: [source]
            code: |
              source["big"].tolist()
""",
    )
    assert outputs["listed"] == EXPECTED_COLUMNS["big"]
