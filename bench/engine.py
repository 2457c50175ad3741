"""Engine benchmarks (docs/benchmarks.md, section "Engine").

    .venv/bin/python bench/engine.py [--skip-table | --only-table [--no-json-outputs]] [--repeat N]

Measures, on this machine: per-node overhead on a 200-node chain, throughput of a wide
DAG of 1,000 nodes, a 1,000,000-row x 5-column table through Python -> SQL -> JavaScript
-> Python, the agent-side RSS of the engine, and the cold start of each adapter; plus the
floors they compare to (interpreter start, a raw warm-worker round trip).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from omnix.agent.adapters.javascript.adapter import JavaScriptAdapter
from omnix.agent.adapters.python import PythonAdapter
from omnix.agent.adapters.sql import SqlAdapter
from omnix.agent.runs.engine import Engine
from omnix.agent.runs.outputs import TableDecoder
from omnix.agent.workers.env import minimal_env
from omnix.agent.workers.process import WorkerProcess
from omnix.shared.events import NodeStateChanged, RunEvent
from omnix.shared.pipeline import Node, Pipeline
from omnix.shared.status import NodeStatus, RunStatus


def rss_mib() -> float:
    """Current resident set size of this process."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def interpreter_start_ms(repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


async def worker_round_trip_ms(samples: int = 2000, blob_size: int = 0) -> float:
    """A request through a warm worker and back (a ping, or an echo of `blob_size` bytes):
    the floor for anything a node does, and for passing a table of that size on."""
    argv = [sys.executable, "-m", "omnix.agent.workers.child"]
    worker = await WorkerProcess.spawn("bench", argv, env=minimal_env())
    blobs = [b"x" * blob_size] if blob_size else []
    try:
        times = []
        for _ in range(samples):
            start = time.perf_counter()
            await worker.request({"op": "echo" if blobs else "ping"}, blobs)
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000
    finally:
        await worker.close()


def chain(length: int, lang: str = "python") -> Pipeline:
    """Trivial nodes, each adding one to its upstream's output (a table for SQL)."""
    first, step = (
        ("0", "n{} + 1") if lang == "python" else ("SELECT 0 AS v", "SELECT v + 1 AS v FROM n{}")
    )
    nodes = [Node(id="n0", lang=lang, code=first)]
    nodes += [
        Node(id=f"n{i}", lang=lang, code=step.format(i - 1), needs=(f"n{i - 1}",))
        for i in range(1, length)
    ]
    return Pipeline(name="chain", nodes=tuple(nodes))


def wide(width: int) -> Pipeline:
    return Pipeline(
        name="wide", nodes=tuple(Node(id=f"n{i}", lang="python", code=str(i)) for i in range(width))
    )


async def bench_chain(repeat: int, lang: str = "python") -> dict[str, float]:
    """Per-node overhead: the gap between consecutive completions along a 200-node chain."""
    pipeline = chain(200, lang)
    gaps: list[float] = []
    totals: list[float] = []
    async with Engine() as engine:
        await engine.run(pipeline)  # warm-up: workers up, code compiled once
        for _ in range(repeat):
            done: list[float] = []

            def on_event(event: RunEvent, done: list[float] = done) -> None:
                if isinstance(event, NodeStateChanged) and event.status is NodeStatus.SUCCEEDED:
                    done.append(time.perf_counter())

            start = time.perf_counter()
            document = await engine.run(pipeline, on_event=on_event)
            totals.append(time.perf_counter() - start)
            assert document.status is RunStatus.SUCCEEDED
            assert document.nodes["n199"].output in (199, [{"v": 199}])
            gaps += [b - a for a, b in itertools.pairwise(done)]
    gaps.sort()
    return {
        "p50_ms": statistics.median(gaps) * 1000,
        "p90_ms": gaps[int(len(gaps) * 0.9)] * 1000,
        "run_ms": statistics.median(totals) * 1000,
    }


async def bench_wide(repeat: int, max_parallel: int) -> dict[str, float]:
    pipeline = wide(1000)
    rates = []
    async with Engine(max_parallel=max_parallel) as engine:
        await engine.run(pipeline)  # warm-up: every worker of the pool started
        for _ in range(repeat):
            start = time.perf_counter()
            document = await engine.run(pipeline)
            rates.append(1000 / (time.perf_counter() - start))
            assert document.status is RunStatus.SUCCEEDED
    return {"nodes_per_s": statistics.median(rates)}


TABLE = """
import numpy as np, pandas as pd
rows = params["rows"]
pd.DataFrame({
    "id": np.arange(rows, dtype="int64"),
    "group": np.arange(rows) % 100,
    "amount": np.arange(rows) * 0.5,
    "label": pd.Series(np.arange(rows) % 1000).astype(str),
    "flag": np.arange(rows) % 2 == 0,
})
"""


def table_pipeline() -> Pipeline:
    return Pipeline(
        name="big-table",
        params={"rows": 1_000_000},
        nodes=(
            Node(id="source", lang="python", code=TABLE),
            Node(
                id="filtered",
                lang="sql",
                needs=("source",),
                code='SELECT id, "group", amount * 2 AS amount, label, flag FROM source',
            ),
            Node(
                id="shaped",
                lang="javascript",
                needs=("filtered",),
                code="filtered.map(r => ({ ...r, amount: r.amount + 1 }))",
            ),
            Node(
                id="summary",
                lang="python",
                needs=("shaped",),
                code='{"rows": len(shaped), "total": float(shaped["amount"].sum())}',
            ),
        ),
    )


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu_s() -> dict[int, float]:
    """CPU seconds of every child process (the engine's workers), by pid."""
    me = os.getpid()
    found: dict[int, float] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == me:
            found[int(entry)] = cpu_s(int(entry))
    return found


async def bench_table(repeat: int, json_outputs: bool = True) -> dict[str, float]:
    pipeline = table_pipeline()
    totals: list[float] = []
    agent_cpu: list[float] = []
    workers_cpu: list[float] = []
    per_node: dict[str, list[float]] = {node.id: [] for node in pipeline.nodes}
    async with Engine() as engine:
        await engine.run(pipeline, include_outputs=False)
        for _ in range(repeat):
            workers_before, agent_before = worker_cpu_s(), time.process_time()
            start = time.perf_counter()
            document = await engine.run(pipeline, include_outputs=False)
            totals.append(time.perf_counter() - start)
            agent_cpu.append(time.process_time() - agent_before)
            workers_after = worker_cpu_s()
            # A worker replaced during the run (the JavaScript one after a big table) is
            # counted from zero; one that exited is missed (the children are long-lived).
            workers_cpu.append(
                sum(v - workers_before.get(pid, 0.0) for pid, v in workers_after.items())
            )
            assert document.status is RunStatus.SUCCEEDED, document.dumps()
            for node_id, node_result in document.nodes.items():
                per_node[node_id].append(node_result.duration_s or 0.0)
        peak_without_outputs = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        summary: dict[str, float] = {
            "end_to_end_s": statistics.median(totals),
            "end_to_end_best_s": min(totals),
            "agent_cpu_s": statistics.median(agent_cpu),
            "workers_cpu_s": statistics.median(workers_cpu),
            "agent_peak_rss_mib": peak_without_outputs,
        }
        summary |= {f"{k}_s": statistics.median(v) for k, v in per_node.items()}
        summary |= {f"{k}_best_s": min(v) for k, v in per_node.items()}
        if not json_outputs:
            return summary
        start = time.perf_counter()
        as_text = await engine.run(pipeline, outputs_as_text=True)
        text = time.perf_counter() - start
        assert all(node.output_text for node in as_text.nodes.values())
        start = time.perf_counter()
        with_outputs = await engine.run(pipeline)
        full = time.perf_counter() - start
        assert with_outputs.nodes["summary"].output["rows"] == 1_000_000
    return summary | {
        "with_json_text_outputs_s": text,
        "with_json_outputs_s": full,
        "agent_peak_rss_with_json_outputs_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        / 1024,
    }


async def timed(factory: Callable[[], Coroutine[Any, Any, None]]) -> float:
    start = time.perf_counter()
    await factory()
    return (time.perf_counter() - start) * 1000


async def bench_cold_starts() -> dict[str, float]:
    results: dict[str, float] = {}
    adapters: dict[str, Any] = {"python": PythonAdapter(), "sql": SqlAdapter()}
    if shutil.which("node"):
        adapters["javascript"] = JavaScriptAdapter()
    adapters["table decoder"] = TableDecoder()
    for name, adapter in adapters.items():
        results[name] = await timed(adapter.start)
        await adapter.close()
    return results


async def bench_rss() -> dict[str, float]:
    before = rss_mib()
    async with Engine() as engine:
        await engine.run(chain(50))
        after_run = rss_mib()
    return {"after_import_mib": before, "after_runs_mib": after_run}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-table", action="store_true")
    parser.add_argument("--only-table", action="store_true")
    parser.add_argument(
        "--no-json-outputs", action="store_true", help="skip the run converting outputs to JSON"
    )
    args = parser.parse_args()
    if args.only_table:
        print(f"floor: 35 MB echo round trip {await worker_round_trip_ms(7, 35_000_000):.0f} ms")
        table = await bench_table(max(1, args.repeat // 2), not args.no_json_outputs)
        print(f"1M x 5 table: { {k: round(v, 3) for k, v in table.items()} }")
        return
    print(f"cpus: {os.cpu_count()}, python {sys.version.split()[0]}")
    rss = await bench_rss()
    print(f"engine RSS: {rss}")
    heavy = {"pandas", "pyarrow", "duckdb"} & set(sys.modules)
    print(f"heavy modules in the agent process: {sorted(heavy) or 'none'}")
    print(f"floor: interpreter start {interpreter_start_ms(10):.1f} ms")
    print(f"floor: warm worker round trip {await worker_round_trip_ms():.3f} ms")
    print(f"cold starts (ms): { {k: round(v) for k, v in (await bench_cold_starts()).items()} }")
    print(f"chain of 200: {await bench_chain(args.repeat)}")
    print(f"chain of 200 SQL nodes: {await bench_chain(args.repeat, 'sql')}")
    for parallel in sorted({2, os.cpu_count() or 2}):
        print(f"wide 1000, max_parallel={parallel}: {await bench_wide(args.repeat, parallel)}")
    if not args.skip_table:
        print(f"floor: 35 MB echo round trip {await worker_round_trip_ms(7, 35_000_000):.0f} ms")
        print(f"1M x 5 table: {await bench_table(max(1, args.repeat // 2))}")
    print(
        f"peak RSS of the agent process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MiB"
    )


if __name__ == "__main__":
    asyncio.run(main())
