"""Usage records: one per attempt, append-only, summed exactly per group."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
import pytest_asyncio
from omnix.agent.config import PriceTable, load_config
from omnix.agent.errors import ConfigError
from omnix.agent.metrics.cost import cost
from omnix.agent.store import metering
from omnix.agent.store import runs as records
from omnix.agent.store.db import Store
from omnix.agent.store.metering import NodeUsage, UsageTotal

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


PRICES = PriceTable(
    "EUR", cpu_second=Decimal("0.0004"), gb_hour=Decimal("0.05"), run=Decimal("0.01")
)


def total(cpu_ms: int, memory_byte_ms: int, runs: int) -> UsageTotal:
    return UsageTotal(("p",), runs, runs, 0, 0, 0, cpu_ms, 0, 0, 0, 0, memory_byte_ms)


def test_cost_prices_cpu_seconds_gb_hours_and_runs_exactly() -> None:
    one_gb_for_an_hour = 10**9 * 3_600_000
    assert cost(total(2_500, 0, 0), PRICES) == Decimal("0.001000")  # 2.5 s x 0.0004
    assert cost(total(0, one_gb_for_an_hour, 0), PRICES) == Decimal("0.050000")
    assert cost(total(0, 0, 3), PRICES) == Decimal("0.030000")
    assert cost(total(2_500, 2 * one_gb_for_an_hour, 3), PRICES) == Decimal("0.131000")


async def test_the_cost_of_every_group_adds_up_to_the_cost_of_all(store: Store) -> None:
    await seed(store)
    cpu_only = PriceTable("EUR", Decimal("0.0004"), Decimal(0), Decimal("0.01"))
    per_node = await metering.usage_totals(store, "node")
    per_run = await metering.usage_totals(store, "run")
    whole = sum(t.cpu_ms for t in per_node) * Decimal("0.0004") / 1000 + 3 * Decimal("0.01")
    # Runs are counted once per group they appear in: per run, each run once.
    assert sum(cost(t, cpu_only) for t in per_run) == whole
    assert sum(t.cpu_ms for t in per_node) == 690


def test_a_price_table_is_checked_when_the_config_is_read(tmp_path: Path) -> None:
    config = tmp_path / "agent.toml"
    config.write_text('[prices]\ncurrency = "EUR"\ncpu_second = "0.0004"\nrun = 0.01\n')
    table = load_config(config).price_table()
    assert table == PriceTable("EUR", Decimal("0.0004"), Decimal(0), Decimal("0.01"))
    config.write_text('[prices]\ncpu_secnd = "1"\n')
    with pytest.raises(ConfigError, match="unknown key 'cpu_secnd'"):
        load_config(config)
    config.write_text('[prices]\nrun = "-1"\n')
    with pytest.raises(ConfigError, match="run must be a finite amount >= 0"):
        load_config(config)
    config.write_text('[prices]\nrun = "one cent"\n')
    with pytest.raises(ConfigError, match="is not a decimal amount"):
        load_config(config)
