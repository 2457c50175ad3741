"""R, Go and Scala adapters: cold first node, warm node round trip, a 100k x 5 table
through a node, and a Go node that did not change, each against its runtime's own floor.

    .venv/bin/python bench/languages.py [--repeat 20] [--rows 100000]

Floors: `Rscript -e 0`; a prebuilt empty Go binary and `go run` of an empty main; the JVM
with Scala (`java -cp scala-library.jar` running an empty main). Cold means a new adapter
with an empty cache directory: Rscript's start, Go's first build (standard library
included), scalac compiling the Scala worker, the JVM and the first node's compile.
Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
from omnix.agent.adapters.base import NodeFailure, NodeTask, Value
from omnix.agent.adapters.external import ExternalAdapter
from omnix.agent.adapters.go.adapter import GoAdapter
from omnix.agent.adapters.r.adapter import RAdapter
from omnix.agent.adapters.scala.adapter import ScalaAdapter
from omnix.shared.pipeline import Node

TRIVIAL = {"r": "1", "go": "return 1, nil", "scala": "1"}
IDENTITY = {"r": "t", "go": "return t, nil", "scala": "t"}


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return bytes(sink.getvalue().to_pybytes())


def table(rows: int) -> pa.Table:
    rng = np.random.default_rng(0)
    return pa.table(
        {
            "id": np.arange(rows, dtype=np.int64),
            "x": rng.random(rows),
            "name": pa.array([f"user{i % 1000}" for i in range(rows)]),
            "qty": rng.integers(0, 100, rows),
            "flag": np.arange(rows) % 3 == 0,
        }
    )


def ignore(_stream: str, _text: str) -> None:
    pass


async def once(adapter: ExternalAdapter, lang: str, code: str, inputs: dict[str, Value]) -> float:
    node = Node(id="bench", lang=lang, code=code, needs=tuple(inputs))
    started = time.perf_counter()
    result = await adapter.execute(NodeTask("bench", node, inputs, {}), ignore)
    elapsed = time.perf_counter() - started
    if isinstance(result, NodeFailure):
        raise RuntimeError(f"{lang}: {result}")
    return elapsed * 1000


def timed(argv: list[str], repeat: int, **kwargs: object) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, **kwargs)  # type: ignore[call-overload]
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def floors(repeat: int, work: Path) -> dict[str, tuple[str, float]]:
    out: dict[str, tuple[str, float]] = {}
    out["r"] = ("`Rscript -e 0`", timed(["Rscript", "-e", "0"], repeat))
    main = work / "main.go"
    main.write_text("package main\n\nfunc main() {}\n")
    env = {**os.environ, "GOCACHE": str(work / "gocache"), "GO111MODULE": "off"}
    subprocess.run(["go", "build", "-o", str(work / "empty"), str(main)], check=True, env=env)
    out["go"] = ("an empty Go binary", timed([str(work / "empty")], repeat))
    out["go run"] = (
        "`go run` of an empty main (cached)",
        timed(["go", "run", str(main)], max(3, repeat // 4), env=env),
    )
    home = Path(os.path.realpath(shutil.which("scala") or "scala")).parent.parent
    hello = work / "Hello.scala"
    hello.write_text("object Hello { def main(a: Array[String]): Unit = () }\n")
    subprocess.run(["scalac", "-d", str(work), str(hello)], check=True)
    classpath = f"{home / 'lib' / 'scala-library.jar'}:{work}"
    out["scala"] = (
        "JVM hello (`java -cp scala-library.jar Hello`)",
        timed(["java", "-cp", classpath, "Hello"], max(3, repeat // 4)),
    )
    return out


async def bench_language(
    lang: str, make: Callable[[Path], ExternalAdapter], repeat: int, rows: int, cache: Path
) -> dict[str, float]:
    adapter = make(cache)
    numbers: dict[str, float] = {}
    started = time.perf_counter()
    await adapter.start()
    await once(adapter, lang, TRIVIAL[lang], {})
    numbers["cold"] = (time.perf_counter() - started) * 1000
    warm = [await once(adapter, lang, TRIVIAL[lang], {}) for _ in range(repeat)]
    numbers["warm"] = statistics.median(warm)
    big = {"t": Value("table", arrow_bytes(table(rows)))}
    await once(adapter, lang, IDENTITY[lang], big)  # compiles (Go, Scala) outside the timing
    through = [await once(adapter, lang, IDENTITY[lang], big) for _ in range(max(3, repeat // 4))]
    numbers["table"] = statistics.median(through)
    await adapter.close()
    if lang in ("go", "scala"):
        # A new adapter (a restarted agent) on the same cache: nothing is compiled again.
        again = make(cache)
        started = time.perf_counter()
        await again.start()
        await once(again, lang, TRIVIAL[lang], {})
        numbers["cached cold"] = (time.perf_counter() - started) * 1000
        await again.close()
    return numbers


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="omnix-bench-"))
    try:
        floor = floors(args.repeat, work)
        makers: dict[str, Callable[[Path], ExternalAdapter]] = {
            "r": lambda cache: RAdapter(),
            "go": lambda cache: GoAdapter(cache_dir=cache),
            "scala": lambda cache: ScalaAdapter(cache_dir=cache),
        }
        results = {}
        for lang, make in makers.items():
            results[lang] = await bench_language(
                lang, make, args.repeat, args.rows, work / f"cache-{lang}"
            )
        print(
            f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, python {sys.version.split()[0]}"
        )
        print(
            "| language | floor | floor time | cold first node | cached cold | warm node | "
            f"{args.rows:,}x5 table through | warm vs floor |"
        )
        print("|---|---|---:|---:|---:|---:|---:|---:|")
        for lang, numbers in results.items():
            name, floor_ms = floor[lang]
            cached = f"{numbers['cached cold']:,.0f} ms" if "cached cold" in numbers else "-"
            print(
                f"| {lang} | {name} | {floor_ms:.1f} ms | {numbers['cold']:,.0f} ms | {cached} | "
                f"{numbers['warm']:.1f} ms | {numbers['table']:,.0f} ms | {numbers['warm'] / floor_ms:.2f}x |"
            )
        print(f"| go | {floor['go run'][0]} | {floor['go run'][1]:.0f} ms | | | | | |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
