"""Tables crossing languages: Python -> SQL -> JavaScript -> Python, and the shipped example."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.pipeline import Pipeline, load_pipeline
from omnix.shared.status import RunStatus

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "sales" / "pipeline.yaml"


@pytest.fixture
def node_js(require_binary: Callable[[str, str], str]) -> str:
    return require_binary("node", "apt-get install nodejs")


@pytest.mark.asyncio(loop_scope="module")
async def test_a_table_keeps_its_rows_and_types_through_every_language(
    engine: Engine, make_pipeline: Callable[[str], Pipeline], node_js: str
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: relay
        nodes:
          - id: source
            lang: python
            code: |
              import pandas as pd
              pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", None], "score": [0.5, 1.5, 2.5]})
          - {id: filtered, lang: sql, needs: [source], code: "SELECT * FROM source WHERE id > 1"}
          - id: enriched
            lang: javascript
            needs: [filtered]
            code: |
              filtered.map(r => ({...r, doubled: r.score * 2}))
          - id: checked
            lang: python
            needs: [enriched]
            code: |
              assert type(enriched).__name__ == "DataFrame"
              [list(enriched.columns), enriched["doubled"].tolist(), enriched["name"].isna().tolist()]
    """)
    document = await engine.run(pipeline)
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    assert document.nodes["checked"].output == [
        ["id", "name", "score", "doubled"],
        [3.0, 5.0],
        [False, True],
    ]
    assert document.nodes["enriched"].output == [
        {"id": 2, "name": "b", "score": 1.5, "doubled": 3.0},
        {"id": 3, "name": None, "score": 2.5, "doubled": 5.0},
    ]


@pytest.mark.asyncio(loop_scope="module")
async def test_the_sales_example_runs_end_to_end(engine: Engine, node_js: str) -> None:
    document = await engine.run(load_pipeline(EXAMPLE), params={"top": 1})
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    months = {row["month"] for row in document.nodes["by_region"].output}
    assert months == {"2026-08", "2026-09", "2026-10"}
    assert len(document.nodes["report"].output.splitlines()) == 12
    best = document.nodes["best_months"].output
    assert best["report_lines"] == 12 and len(best["best_months"]) == 1


def test_the_sales_example_from_the_command_line(node_js: str) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from omnix.agent.cli import main; main()",
            "run",
            str(EXAMPLE),
            "--json",
            "--outputs",
            "all",
            "--param",
            "currency=USD",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)["nodes"]["report"]["output"]
    assert "$" in report and "€" not in report


@pytest.mark.asyncio(loop_scope="module")
async def test_a_javascript_node_past_its_timeout_fails_and_the_next_one_runs(
    engine: Engine, make_pipeline: Callable[[str], Pipeline], node_js: str
) -> None:
    pipeline = make_pipeline("""
        omnix: 1
        name: spin
        nodes:
          - {id: spin, lang: javascript, timeout: 1, code: "while (true) {}"}
          - {id: after, lang: javascript, needs: [], code: "6 * 7"}
    """)
    document = await engine.run(pipeline)
    assert "longer than its timeout of 1s" in (document.nodes["spin"].error or "")
    assert document.nodes["after"].output == 42
