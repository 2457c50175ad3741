"""Retention keeps the store bounded: old runs and runs beyond a per-pipeline cap go, with
their nodes, outputs, events and logs; today's, unfinished and the newest run stay."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from omnix.agent.config import AgentConfig
from omnix.agent.daemon import prune_store
from omnix.agent.store.db import Store

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "agent.db")
    yield opened
    await opened.close()


async def seed(store: Store, run_id: str, created: datetime, *, pipeline: str = "p",
               status: str = "succeeded") -> None:  # fmt: skip
    at = created.timestamp()
    await store.write(
        (
            "INSERT INTO runs (run_id, pipeline, version, source, source_path, status,"
            " params_json, trigger, created_at) VALUES (?, ?, 0, '', '', ?, '{}', 'manual', ?)",
            (run_id, pipeline, status, at),
        ),
        (
            "INSERT INTO node_states (run_id, node_id, position, status, output_json,"
            " updated_at) VALUES (?, 'n', 0, 'succeeded', '[1]', ?)",
            (run_id, at),
        ),
        (
            "INSERT INTO logs (run_id, seq, at, node_id, stream, text)"
            " VALUES (?, 2, ?, 'n', 'stdout', 'hi')",
            (run_id, at),
        ),
    )


async def remaining(store: Store, table: str) -> set[str]:
    return {row["run_id"] for row in await store.fetch_all(f"SELECT run_id FROM {table}")}


async def test_finished_runs_older_than_the_limit_go_with_their_rows(store: Store) -> None:
    await seed(store, "old", NOW - 40 * DAY)
    await seed(store, "recent", NOW - 2 * DAY)
    config = AgentConfig(keep_runs_days=30, keep_runs_per_pipeline=0)
    assert await prune_store(store, config, NOW) == 1
    for table in ("runs", "node_states", "logs"):
        assert await remaining(store, table) == {"recent"}


async def test_runs_beyond_the_per_pipeline_cap_go_but_never_todays(store: Store) -> None:
    for index in range(4):
        await seed(store, f"earlier{index}", NOW - (index + 2) * DAY)
    for index in range(3):
        await seed(store, f"today{index}", NOW - timedelta(hours=index + 1))
    await seed(store, "other", NOW - 5 * DAY, pipeline="q")
    config = AgentConfig(keep_runs_days=0, keep_runs_per_pipeline=2)
    assert await prune_store(store, config, NOW) == 4
    assert await remaining(store, "runs") == {"today0", "today1", "today2", "other"}


async def test_unfinished_runs_and_the_newest_run_are_kept(store: Store) -> None:
    await seed(store, "running", NOW - 90 * DAY, status="running")
    await seed(store, "queued", NOW - 80 * DAY, status="queued")
    await seed(store, "newest", NOW - 60 * DAY)  # the license judges expiry against it
    config = AgentConfig(keep_runs_days=30)
    assert await prune_store(store, config, NOW) == 0
    assert await remaining(store, "runs") == {"running", "queued", "newest"}


def test_omnix_agent_prune_removes_runs_past_the_given_limits(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()

    async def prepare() -> None:
        opened = await Store.open(state / "agent.db")
        try:
            now = datetime.now(UTC)
            for index in range(3):
                await seed(opened, f"run{index}", now - (10 + index) * DAY)
        finally:
            await opened.close()

    asyncio.run(prepare())
    result = subprocess.run(
        [str(Path(sys.executable).with_name("omnix-agent")), "prune", "--older-than", "5",
         "--state-dir", str(state)],
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"removed 2 runs from {state / 'agent.db'}"
    with sqlite3.connect(state / "agent.db") as db:
        assert db.execute("SELECT run_id FROM runs").fetchall() == [("run0",)]
