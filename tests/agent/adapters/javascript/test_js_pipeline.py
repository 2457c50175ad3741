"""JavaScript inside whole pipelines: Python -> SQL -> JavaScript -> Python through the Engine."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.events import NodeLog, RunEvent
from omnix.shared.pipeline import parse_pipeline
from omnix.shared.status import NodeStatus, RunStatus

PIPELINE = """
omnix: 1
name: sales-report
params:
  min_amount: 5
nodes:
  - id: extract
    lang: python
    code: |
      import pandas as pd
      pd.DataFrame({"region": ["north", "south", "north"], "amount": [10, 20, 5],
                    "day": pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03"])})
  - id: totals
    lang: sql
    needs: [extract]
    code: |
      SELECT region, SUM(amount) AS total, MAX(day) AS last_day FROM extract
      WHERE amount >= $min_amount GROUP BY region ORDER BY region
  - id: report
    lang: javascript
    needs: [totals]
    code: totals.map(r => `${r.region}=${r.total}`).join(",")
  - id: enrich
    lang: javascript
    needs: [extract, totals]
    code: |
      console.log(`enriching ${totals.length} rows`);
      const big = 2n ** 60n;
      totals.map(r => ({...r, share: r.total / 35, id: big + BigInt(r.total)}))
  - id: check
    lang: python
    needs: [enrich]
    code: |
      ({c: str(t) for c, t in enrich.dtypes.items()}, int(enrich["id"].iloc[0]), str(enrich["last_day"].iloc[1]))
"""


@pytest.mark.asyncio
async def test_tables_cross_python_sql_javascript_and_back(
    require_binary: Callable[[str, str], str], tmp_path: Path
) -> None:
    require_binary("node", "apt-get install nodejs")
    source = textwrap.dedent(PIPELINE)
    pipeline = parse_pipeline(source, path=str(tmp_path / "p.yaml"), base_dir=tmp_path)
    events: list[RunEvent] = []
    async with Engine(max_parallel=2) as engine:
        doc = await engine.run(pipeline, on_event=events.append)
    assert doc.status == RunStatus.SUCCEEDED, doc.dumps()
    assert doc.nodes["report"].output == "north=15,south=20"
    dtypes, first_id, last_day = doc.nodes["check"].output
    assert dtypes["share"] == "float64"
    assert dtypes["last_day"].startswith("datetime64")
    assert dtypes["id"] == "Int64"  # nullable: exact whether or not a null comes
    assert first_id == 2**60 + 15
    assert last_day == "2024-01-02 00:00:00"
    logs = [e for e in events if isinstance(e, NodeLog) and e.node_id == "enrich"]
    assert [(e.stream, e.text) for e in logs] == [("stdout", "enriching 2 rows\n")]


@pytest.mark.asyncio
async def test_a_failing_javascript_node_reports_its_line_and_stops_downstream(
    require_binary: Callable[[str, str], str], tmp_path: Path
) -> None:
    require_binary("node", "apt-get install nodejs")
    source = textwrap.dedent("""
        omnix: 1
        name: broken
        nodes:
          - id: rows
            lang: javascript
            code: |
              const rows = [{a: 1}];
              rows[0].missing.field
          - {id: after, lang: python, needs: [rows], code: "1"}
    """)
    pipeline = parse_pipeline(source, path=str(tmp_path / "p.yaml"), base_dir=tmp_path)
    async with Engine() as engine:
        doc = await engine.run(pipeline)
    assert doc.status == RunStatus.FAILED
    error = doc.nodes["rows"].error or ""
    assert "TypeError: Cannot read properties of undefined (reading 'field')" in error
    assert "<rows>:2" in error
    assert doc.nodes["after"].status == NodeStatus.UPSTREAM_FAILED
    assert json.loads(doc.dumps())["nodes"]["rows"]["status"] == "failed"
