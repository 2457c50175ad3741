"""Kept outputs are files beside the database: written once by the decoder worker, read in
parts, gone with their run, and released by the agent after the run."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
from omnix.agent.errors import NotFound
from omnix.agent.store import runs as records
from omnix.agent.store.db import Store
from omnix.shared.client import AgentAddress, AgentClient
from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import RunningAgent

TABLE = """\
omnix: 1
name: tablefile
nodes:
  - id: rows
    lang: python
    code: |
      import pandas as pd
      pd.DataFrame({"n": [1, 2, None], "s": ["a", "é", None]}).astype({"n": "Int64"})
"""


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "agent.db")
    yield opened
    await opened.close()


def finished_run(agent: RunningAgent, source: str) -> str:
    request = run_pb2.StartRunRequest(pipeline_source=source, source_path="/t/p.yaml")
    run_id: str = agent.runs().StartRun(request, timeout=10).run.run_id
    run = agent.wait_for_run(run_id, timeout_s=120, with_outputs=False)
    assert run.status == status_pb2.RUN_STATUS_SUCCEEDED, run
    return run_id


def test_a_kept_output_is_a_file_and_not_a_row(module_agent: RunningAgent) -> None:
    run_id = finished_run(module_agent, TABLE)
    path = module_agent.state_dir / "outputs" / run_id / "rows.json"
    text = path.read_text()
    assert json.loads(text) == [{"n": 1, "s": "a"}, {"n": 2, "s": "é"}, {"n": None, "s": None}]
    with sqlite3.connect(module_agent.state_dir / "agent.db") as db:
        row = db.execute(
            "SELECT output_json, output_bytes FROM node_states WHERE run_id = ?", (run_id,)
        ).fetchone()
    assert row == (None, len(text.encode()))
    with AgentClient(AgentAddress(module_agent.address)) as client:
        assert client.read_outputs(run_id) == {"rows": text}


def test_an_output_whose_file_is_gone_is_not_found_naming_the_file(
    module_agent: RunningAgent,
) -> None:
    run_id = finished_run(module_agent, TABLE)
    path = module_agent.state_dir / "outputs" / run_id / "rows.json"
    path.unlink()
    with (
        AgentClient(AgentAddress(module_agent.address)) as client,
        pytest.raises(grpc.RpcError) as raised,
    ):
        client.read_outputs(run_id)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert str(path) in (raised.value.details() or "")


def test_the_agent_lets_go_of_a_large_output_after_the_run(module_agent: RunningAgent) -> None:
    def rss_mib() -> float:
        status = Path(f"/proc/{module_agent.process.pid}/status").read_text()
        line = next(x for x in status.splitlines() if x.startswith("VmRSS:"))
        return int(line.split()[1]) / 1024

    before = rss_mib()
    fifty = TABLE.replace(
        'pd.DataFrame({"n": [1, 2, None], "s": ["a", "é", None]}).astype({"n": "Int64"})',
        'pd.DataFrame({"s": ["x" * 40] * 1_000_000})',
    )
    run_id = finished_run(module_agent, fifty)
    with AgentClient(AgentAddress(module_agent.address)) as client:
        assert len(client.read_outputs(run_id)["rows"]) > 49_000_000
    # The output's 49 MB of JSON never lived in the agent; its Arrow form passed through.
    assert rss_mib() - before < 45, (before, rss_mib())


async def seed_inline(store: Store, run_id: str, output_json: str) -> None:
    """A run as an earlier version kept it: the output in the row itself."""
    await store.write(
        (
            "INSERT INTO runs (run_id, pipeline, version, source, source_path, status,"
            " params_json, trigger, created_at) VALUES (?, 'p', 0, '', '', 'succeeded', '{}',"
            " 'manual', 0)",
            (run_id,),
        ),
        (
            "INSERT INTO node_states (run_id, node_id, position, status, output_json,"
            " updated_at) VALUES (?, 'n', 0, 'succeeded', ?, 0)",
            (run_id, output_json),
        ),
    )


async def test_an_output_kept_in_its_row_by_an_earlier_version_still_reads(store: Store) -> None:
    await seed_inline(store, "a1", '[{"k": "ü"}]')
    output = await records.kept_output(store, "a1", "n")
    assert output is not None and output.size == len('[{"k": "ü"}]'.encode())
    parts = [part async for part in records.output_chunks(store, output, chunk_bytes=4)]
    assert b"".join(parts).decode() == '[{"k": "ü"}]' and max(map(len, parts)) == 4


async def test_deleting_a_run_removes_its_output_files(store: Store) -> None:
    await seed_inline(store, "b2", "1")
    folder = store.outputs.folder("b2")
    (folder / "n.json").write_text("[1]")
    await records.delete_runs(store, ["b2"])
    assert not folder.exists()


async def test_a_missing_output_file_is_not_found(store: Store) -> None:
    output = records.KeptOutput("c3", "n", 10)
    with pytest.raises(NotFound, match="file is gone"):
        _ = [part async for part in records.output_chunks(store, output, chunk_bytes=4)]
