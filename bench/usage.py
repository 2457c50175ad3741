"""Usage records: what recording costs a run, and `omnix usage` over a year of history.

    .venv/bin/python bench/usage.py [--repeat 5] [--nodes 200] [--runs-per-day 1]

1. A 200-node chain of trivial Python nodes through the engine, with and without usage
   recording (each attempt metered from /proc and appended to a real store through its
   batched writer, beside the node state writes every run makes), alternating; the
   difference per node is the recording's cost.
2. A year of usage records for 100 pipelines of 5 nodes (one run a day each by default;
   `--runs-per-day 24` for hourly), written straight into a store; then the rollups
   `omnix usage` asks for (by pipeline, node, day) timed in the agent's store, and the
   whole `omnix usage --by pipeline` command against an agent serving that store, against
   its floor (`omnix --version`: the client's own start).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from omnix.agent.config import DB_FILE
from omnix.agent.runs.engine import Engine
from omnix.agent.store import metering
from omnix.agent.store.db import Store
from omnix.agent.store.metering import NodeUsage
from omnix.shared.events import NodeStateChanged, RunEvent
from omnix.shared.pipeline import Node, Pipeline
from omnix.shared.status import RunStatus

from tests.agent.agents import environment, spawn_agent

DAY = 86_400.0


def chain(nodes: int) -> Pipeline:
    return Pipeline(
        name="chain",
        nodes=tuple(
            Node(id=f"n{i}", lang="python", code="1", needs=(f"n{i - 1}",) if i else ())
            for i in range(nodes)
        ),
    )


async def recording_cost(repeat: int, nodes: int, folder: Path) -> tuple[float, float]:
    """Per-node run time without and with usage records. Both write each node state change
    to the store as the agent's run manager does, so a usage record joins a batch that is
    committed anyway, as it does in the agent."""
    store = await Store.open(folder / "omnix.db")
    await store.write(("CREATE TABLE states (run TEXT, node TEXT, status TEXT, at REAL)", ()))
    pipeline = chain(nodes)
    with_usage, without = [], []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeStateChanged):
            row = (event.run_id, event.node_id, event.status.value, event.at)
            store.submit([("INSERT INTO states VALUES (?,?,?,?)", row)])

    async with Engine(max_parallel=4) as engine:
        await engine.run(pipeline)  # warm the workers

        def record(usage: NodeUsage) -> None:
            store.submit(metering.usage_ops(usage))

        for _ in range(repeat):
            for times, on_usage in ((without, None), (with_usage, record)):
                started = time.perf_counter()
                document = await engine.run(
                    pipeline, on_event=on_event, on_usage=on_usage, include_outputs=False
                )
                times.append(time.perf_counter() - started)
                assert document.status is RunStatus.SUCCEEDED
    await store.close()
    return statistics.median(without) * 1000 / nodes, statistics.median(with_usage) * 1000 / nodes


def fill_history(path: Path, pipelines: int, runs_per_day: int) -> int:
    """A year of records, written with sqlite3 directly (the agent's schema, made by Store)."""
    rng = random.Random(20261203)
    start = time.time() - 365 * DAY
    db = sqlite3.connect(path)
    rows = []
    count = 0
    for day in range(365):
        for run in range(runs_per_day):
            for p in range(pipelines):
                at = start + day * DAY + run * (DAY / runs_per_day) + p
                run_id = f"{day:03d}{run:02d}{p:03d}"
                for n in range(5):
                    wall = rng.randint(5, 5000)
                    rows.append((run_id, f"pipeline{p:03d}", f"node{n}", "python", 1, "local", at + n,
                                 wall, rng.randint(0, 50), wall // 2, rng.randint(40, 400) << 20,
                                 rng.randint(0, 10**6), rng.randint(0, 10**6), rng.randint(0, 4096),
                                 "succeeded" if rng.random() > 0.02 else "failed", 1000, 1000))  # fmt: skip
        if len(rows) > 200_000 or day == 364:
            db.executemany(
                "INSERT INTO node_usage (run_id, pipeline, node_id, lang, attempt, agent,"
                " started_at, wall_ms, queue_wait_ms, cpu_ms, peak_rss_bytes, bytes_in, bytes_out,"
                " log_bytes, status, rows_in, rows_out) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                rows,
            )
            count += len(rows)
            rows = []
    db.commit()
    db.close()
    return count


async def query_times(path: Path, repeat: int) -> dict[str, float]:
    store = await Store.open(path)
    out = {}
    for by in ("pipeline", "node", "day"):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            await metering.usage_totals(store, by)  # type: ignore[arg-type]
            times.append(time.perf_counter() - started)
        out[by] = statistics.median(times) * 1000
    await store.close()
    return out


def command_ms(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=environment())
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--nodes", type=int, default=200)
    parser.add_argument("--runs-per-day", type=int, default=1)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    (folder / "chain").mkdir()
    without, with_usage = await recording_cost(args.repeat, args.nodes, folder / "chain")
    print(
        f"{args.nodes}-node chain: {without:.3f} ms/node without recording, {with_usage:.3f} "
        f"ms/node with it: {with_usage - without:+.3f} ms/node"
    )
    state = folder / "agent"
    state.mkdir()
    await (await Store.open(state / DB_FILE)).close()  # the agent's schema
    started = time.perf_counter()
    count = fill_history(state / DB_FILE, 100, args.runs_per_day)
    print(f"history: {count:,} records ({time.perf_counter() - started:.0f} s to write)")
    for by, ms in (await query_times(state / DB_FILE, args.repeat)).items():
        print(f"usage_totals by {by}: {ms:.0f} ms")
    agent = spawn_agent(state)
    try:
        omnix = str(Path(sys.executable).with_name("omnix"))
        floor = command_ms([omnix, "--version"], args.repeat)
        whole = command_ms(
            [omnix, "usage", "--by", "pipeline", "--agent", agent.address], args.repeat
        )
        print(
            f"`omnix usage --by pipeline`: {whole:.0f} ms; floor `omnix --version` {floor:.0f} ms"
        )
    finally:
        agent.close()


if __name__ == "__main__":
    asyncio.run(main())
