"""`omnix usage` over a real agent: each node attempt's wall and CPU time, peak memory,
bytes and log bytes, measured by the OS and summed per pipeline, node or day."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.agent.agents import RunningAgent, environment, spawn_agent

OMNIX = Path(sys.executable).with_name("omnix")
MIB = 1024 * 1024
BURN = """\
omnix: 1
name: burn
nodes:
  - id: spin
    lang: python
    code: |
      import time, pandas as pd
      end = time.process_time() + 0.5
      while time.process_time() < end:
          pass
      block = bytearray(200 * 1024 * 1024)
      for i in range(0, len(block), 4096):
          block[i] = 1
      del block
      print("burned")
      pd.DataFrame({"n": range(10_000)})
  - id: count
    lang: sql
    needs: [spin]
    code: SELECT COUNT(*) AS n FROM spin
"""
FLAKY = """\
omnix: 1
name: flaky
nodes:
  - id: once
    lang: python
    retries: 1
    retry_backoff: 0
    code: |
      import os
      marker = os.path.join({folder!r}, "tried")
      if not os.path.exists(marker):
          open(marker, "w").close()
          raise RuntimeError("first attempt fails")
      1
"""


PRICES = '[prices]\ncurrency = "EUR"\ncpu_second = "0.001"\ngb_hour = "0"\nrun = "0.01"\n'


def omnix(agent: RunningAgent, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OMNIX), *args, "--agent", agent.address],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )


@pytest.fixture(scope="module")
def measured() -> Iterator[RunningAgent]:
    """An agent of its own (usage is agent-wide) after one run of each pipeline."""
    root = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    config = root / "agent.toml"
    config.write_text(PRICES)
    agent = spawn_agent(root / "agent", "--config", str(config))
    try:
        for name, text in (("burn", BURN), ("flaky", FLAKY.format(folder=str(root)))):
            path = root / f"{name}.yaml"
            path.write_text(text)
            result = omnix(agent, "run", str(path))
            assert result.returncode == 0, result.stdout + result.stderr
        yield agent
    finally:
        agent.close()


def usage(agent: RunningAgent, *args: str) -> list[dict[str, Any]]:
    result = omnix(agent, "usage", "--json", *args)
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, Any]] = json.loads(result.stdout)
    return rows


def test_a_node_that_burns_cpu_and_memory_is_measured_within_tolerance(
    measured: RunningAgent,
) -> None:
    nodes = {(row["pipeline"], row["node"]): row for row in usage(measured, "--by", "node")}
    spin = nodes[("burn", "spin")]
    assert 450 <= spin["cpu_ms"] <= 2500, spin  # 0.5 s burned, plus building the table
    assert spin["wall_ms"] >= spin["cpu_ms"] - 50, spin
    assert spin["peak_rss_bytes"] >= 200 * MIB, spin  # its own peak, not the worker's ever
    assert 80_000 <= spin["bytes_out"] <= 200_000, spin  # 10k int64s as Arrow
    assert spin["log_bytes"] == len("burned\n")
    count = nodes[("burn", "count")]
    assert count["bytes_in"] == spin["bytes_out"] and count["peak_rss_bytes"] < 200 * MIB


def test_rows_in_and_out_are_counted_per_node(measured: RunningAgent) -> None:
    nodes = {(row["pipeline"], row["node"]): row for row in usage(measured, "--by", "node")}
    spin, count = nodes[("burn", "spin")], nodes[("burn", "count")]
    assert (spin["rows_in"], spin["rows_out"]) == (0, 10_000)
    assert (count["rows_in"], count["rows_out"]) == (10_000, 1)


def test_each_attempt_is_a_record_and_failed_ones_are_counted(measured: RunningAgent) -> None:
    flaky = next(row for row in usage(measured) if row["pipeline"] == "flaky")
    assert (flaky["runs"], flaky["attempts"], flaky["failed_attempts"]) == (1, 2, 1)


def test_totals_per_day_equal_the_sum_of_the_nodes(measured: RunningAgent) -> None:
    nodes, days = usage(measured, "--by", "node"), usage(measured, "--by", "day")
    for field in ("cpu_ms", "wall_ms", "bytes_out", "log_bytes", "attempts"):
        assert sum(row[field] for row in days) == sum(row[field] for row in nodes), field


def test_csv_carries_the_same_rows_as_json(measured: RunningAgent) -> None:
    result = omnix(measured, "usage", "--csv", "--by", "node")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    as_json = usage(measured, "--by", "node")
    assert [{k: str(v) for k, v in row.items()} for row in as_json] == rows


def test_the_table_lists_pipelines_and_an_empty_range_says_so(measured: RunningAgent) -> None:
    table = omnix(measured, "usage")
    assert table.stdout.splitlines()[0].split()[:3] == ["pipeline", "runs", "attempts"]
    assert "burn" in table.stdout and "flaky" in table.stdout
    empty = omnix(measured, "usage", "--since", "2000-01-01", "--until", "2000-01-02")
    assert empty.returncode == 0 and empty.stdout == ""
    assert "no usage recorded in that range" in empty.stderr


def test_costs_follow_the_price_table_exactly(measured: RunningAgent) -> None:
    nodes = usage(measured, "--by", "node")
    for row in nodes:
        # Per node a run is counted once for each of its nodes' groups.
        expected = Decimal(row["cpu_ms"]) * Decimal("0.000001") + row["runs"] * Decimal("0.01")
        assert Decimal(row["cost"]) == expected and row["currency"] == "EUR", row
    runs = usage(measured, "--by", "run")
    pipelines = usage(measured)
    assert sum(Decimal(r["cost"]) for r in runs) == sum(Decimal(r["cost"]) for r in pipelines)


def test_the_table_shows_cost_with_a_total(measured: RunningAgent) -> None:
    lines = omnix(measured, "usage").stdout.splitlines()
    assert lines[0].split()[-2:] == ["cost", "EUR"]
    total = Decimal(lines[-1].split()[-1])
    whole = sum((Decimal(row["cost"]) for row in usage(measured)), Decimal(0))
    assert lines[-1].startswith("total") and total == whole.quantize(Decimal("0.01"))
