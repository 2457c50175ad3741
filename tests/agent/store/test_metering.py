"""Usage records: one per attempt, append-only, summed exactly per group."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from omnix.agent.store import metering
from omnix.agent.store import runs as records
from omnix.agent.store.db import Store
from omnix.agent.store.metering import NodeUsage

DAY = 86_400.0


@pytest_asyncio.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "agent.db")
    yield opened
    await opened.close()


def usage(run: str, node: str, at: float, cpu: int, *, status: str = "succeeded") -> NodeUsage:
    return NodeUsage(
        run_id=run,
        pipeline="sales" if node != "other" else "ops",
        node_id=node,
        lang="python",
        attempt=1,
        agent="a1",
        started_at=at,
        wall_ms=cpu + 7,
        queue_wait_ms=3,
        cpu_ms=cpu,
        peak_rss_bytes=cpu * 1000,
        bytes_in=11,
        bytes_out=13,
        log_bytes=5,
        status=status,
    )


async def seed(store: Store) -> None:
    for record in (
        usage("r1", "extract", 10 * DAY + 1, 100),
        usage("r1", "report", 10 * DAY + 2, 250),
        usage("r2", "extract", 11 * DAY + 5, 300, status="failed"),
        usage("r3", "other", 11 * DAY + 9, 40),
    ):
        await store.write(*metering.usage_ops(record))


async def test_totals_per_pipeline_sum_every_attempt_exactly(store: Store) -> None:
    await seed(store)
    totals = {t.key: t for t in await metering.usage_totals(store, "pipeline")}
    sales = totals[("sales",)]
    assert (sales.runs, sales.attempts, sales.failed_attempts) == (2, 3, 1)
    assert (sales.cpu_ms, sales.wall_ms, sales.queue_wait_ms) == (650, 671, 9)
    assert (sales.bytes_in, sales.bytes_out, sales.log_bytes) == (33, 39, 15)
    assert sales.peak_rss_bytes == 300_000  # the largest peak, not a sum
    assert list(totals) == [("sales",), ("ops",)]  # largest CPU first


async def test_totals_per_node_and_per_day(store: Store) -> None:
    await seed(store)
    by_node = {t.key: t.cpu_ms for t in await metering.usage_totals(store, "node")}
    assert by_node == {("sales", "extract"): 400, ("sales", "report"): 250, ("ops", "other"): 40}
    by_day = {t.key: t.attempts for t in await metering.usage_totals(store, "day")}
    assert by_day == {("1970-01-11",): 2, ("1970-01-12",): 2}


async def test_a_time_range_takes_attempts_started_in_it(store: Store) -> None:
    await seed(store)
    totals = await metering.usage_totals(store, "pipeline", since=11 * DAY, until=11 * DAY + 6)
    assert [(t.key, t.cpu_ms) for t in totals] == [(("sales",), 300)]


async def test_records_cannot_be_changed_or_removed(store: Store) -> None:
    await seed(store)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await store.write(("UPDATE node_usage SET cpu_ms = 0", ()))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        await store.write(("DELETE FROM node_usage", ()))


async def test_pruning_runs_keeps_their_usage(store: Store) -> None:
    await seed(store)
    await records.delete_runs(store, ["r1", "r2", "r3"])
    assert sum(t.attempts for t in await metering.usage_totals(store, "pipeline")) == 4
