"""JavaScript adapter benchmarks: cold start, warm per-node overhead, 1M-row Arrow tables.

    .venv/bin/python bench/js_adapter.py [--rows 1000000] [--repeat 5]

The floor is Node.js's own start-up (`node -e 0`, same minimal environment as the worker).
Prints a Markdown table for docs/benchmarks.md. Uses pyarrow to build the input table
(benchmarks, like tests, are not the agent).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
from omnix.agent.adapters.base import NodeTask, Value
from omnix.agent.adapters.javascript.adapter import JavaScriptAdapter
from omnix.shared.pipeline import Node


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def big_table(rows: int) -> pa.Table:
    rng = np.random.default_rng(0)
    names = np.array([f"user{i}" for i in range(1000)])
    return pa.table(
        {
            "id": np.arange(rows, dtype=np.int64),
            "x": rng.random(rows),
            "name": pa.array(names[np.arange(rows) % 1000]),
            "qty": rng.integers(0, 100, rows),
            "price": rng.random(rows) * 100,
        }
    )


def task(code: str, inputs: dict[str, Value] | None = None) -> NodeTask:
    inputs = inputs or {}
    node = Node(id="bench", lang="javascript", code=code, needs=tuple(inputs))
    return NodeTask(run_id="bench", node=node, inputs=inputs, params={})


def ignore(_stream: str, _text: str) -> None:
    pass


def cpu_ms(pid: int) -> float:
    """CPU time (user + system, all threads) a process has used: less sensitive than wall
    time to other work on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def node_start_ms(repeat: int) -> float:
    node = shutil.which("node")
    assert node is not None, "node is not on PATH"
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([node, "-e", "0"], env=JavaScriptAdapter().environment(), check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def cold_start_ms(repeat: int) -> tuple[float, float]:
    """(first start with the version check, restart of the worker alone)."""
    firsts, restarts = [], []
    for _ in range(repeat):
        adapter = JavaScriptAdapter()
        started = time.perf_counter()
        await adapter.start()
        firsts.append((time.perf_counter() - started) * 1000)
        await adapter.close()
        started = time.perf_counter()
        await adapter.start()
        restarts.append((time.perf_counter() - started) * 1000)
        await adapter.close()
    return statistics.median(firsts), statistics.median(restarts)


async def one_worker(adapter: JavaScriptAdapter) -> int:
    """The pid of the adapter's one worker, once the replacement of a worker that handled a
    big table (started in the background) is up."""
    for _ in range(1000):
        pids = adapter.worker_pids
        if len(pids) == 1:
            return pids[0]
        await asyncio.sleep(0.01)
    raise TimeoutError("no worker came up")


async def per_node_ms(
    adapter: JavaScriptAdapter, code: str, inputs: dict[str, Value], repeat: int
) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        await adapter.execute(task(code, inputs), ignore)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--gap", type=float, default=0.5, help="seconds between big nodes (other nodes' time)"
    )
    args = parser.parse_args()

    floor = node_start_ms(10)
    first, restart = await cold_start_ms(args.repeat)
    rows: list[tuple[str, float]] = [
        ("floor: `node -e 0`", floor),
        ("cold start: version check + worker ready", first),
        ("worker restart (after a timeout)", restart),
    ]
    # A high memory cap keeps the one worker across the big runs, so its CPU time can be read
    # from one process (with the default cap a worker could be replaced between runs).
    adapter = JavaScriptAdapter(max_worker_rss_mib=16384)
    await adapter.start()
    small = {
        "t": Value(
            "table", arrow_bytes(pa.table({"region": ["n", "s", "n"], "amount": [10, 20, 5]}))
        )
    }
    rows.append(
        ("warm node `1` (fresh context, round trip)", await per_node_ms(adapter, "1", {}, 200))
    )
    rows.append(
        (
            "warm node, 3-row table in and out",
            await per_node_ms(adapter, "t.filter(r => r.amount > 5)", small, 200),
        )
    )

    table = big_table(args.rows)
    data = arrow_bytes(table)
    best: dict[str, float] = {}
    for code, what in (
        ("t", "`t` (pass-through)"),
        ("t.map(r => ({ ...r, x: r.x + 1 }))", "`t.map(r => ({...r, x: r.x + 1}))`"),
    ):
        timings: dict[str, list[float]] = {
            "inputs": [],
            "code": [],
            "output": [],
            "total": [],
            "cpu": [],
        }
        for _ in range(args.repeat):
            pid = await one_worker(adapter)
            cpu_before = cpu_ms(pid)
            started = time.perf_counter()
            result = await adapter.execute(task(code, {"t": Value("table", data)}), ignore)
            timings["total"].append((time.perf_counter() - started) * 1000)
            timings["cpu"].append(cpu_ms(pid) - cpu_before)
            assert isinstance(result, Value) and result.kind == "table", result
            for key in ("inputs", "code", "output"):
                timings[key].append(adapter.last_timings[key])
            # What a pipeline does between two big JavaScript nodes: other nodes run.
            await asyncio.sleep(args.gap)
        label = f"{args.rows:,} x 5, {what}"
        for key, name in (
            ("inputs", "Arrow decode to row objects (in the worker)"),
            ("code", "the node's code"),
            ("output", "row objects to Arrow (in the worker)"),
            ("total", "whole node, bytes in to bytes out"),
            ("cpu", "whole node, CPU time of the worker (all threads)"),
        ):
            rows.append((f"{label}: {name}", statistics.median(timings[key])))
            best[f"{label}: {name}"] = min(timings[key])
    await adapter.close()

    print(f"input: {len(data) / 1e6:.1f} MB of Arrow IPC; medians of {args.repeat} (warm: 200)\n")
    print("| operation | median | best | vs `node -e 0` (median) |")
    print("|---|---|---|---|")
    for name, ms in rows:
        fastest = f"{best[name]:,.1f} ms" if name in best else ""
        print(f"| {name} | {ms:,.1f} ms | {fastest} | {ms / floor:.2f}x |")


if __name__ == "__main__":
    asyncio.run(main())
