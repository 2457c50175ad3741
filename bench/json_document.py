"""`omnix run FILE --json` of a 1,000,000 x 5 table (int64, float64, string, bool,
timestamp) through a real agent, against its floors.

    .venv/bin/python bench/json_document.py [--runs 5]

Prints, per run: the wall time of the command, the run on the agent (queued to final),
the node itself, and ReadOutputs of the 75 MB output on its own; then the floors: the
client's start (`omnix --version`) and a raw gRPC stream of the same bytes in 1 MiB
messages between two threads of one process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from omnix.shared.client import AgentAddress, AgentClient
from omnix.v1 import run_pb2

from tests.agent.agents import environment, spawn_agent

PIPELINE = """\
omnix: 1
name: million
nodes:
  - id: rows
    lang: python
    code: |
      import numpy as np, pandas as pd
      n = 1_000_000
      pd.DataFrame({
          "id": np.arange(n, dtype="int64"),
          "x": np.arange(n) * 0.5,
          "s": pd.Series(np.arange(n)).astype(str),
          "b": np.arange(n) % 2 == 0,
          "t": pd.date_range("2026-01-01", periods=n, freq="s"),
      })
"""
OMNIX = Path(sys.executable).with_name("omnix")


def grpc_stream_floor(size: int, chunk: int = 1 << 20) -> float:
    """Seconds to stream `size` bytes in `chunk`-byte messages over a unix socket."""
    data = b"x" * size
    path = f"/tmp/omnix-floor-{id(data)}.sock"
    ready = threading.Event()
    stop: list[Any] = []

    async def serve() -> None:
        async def stream(request: bytes, context: Any) -> AsyncIterator[bytes]:
            view = memoryview(data)
            for start in range(0, size, chunk):
                yield bytes(view[start : start + chunk])

        handler = grpc.method_handlers_generic_handler(
            "floor.Floor", {"Stream": grpc.unary_stream_rpc_method_handler(stream)}
        )
        server = grpc.aio.server(options=[("grpc.max_send_message_length", 64 << 20)])
        server.add_generic_rpc_handlers((handler,))
        server.add_insecure_port(f"unix:{path}")
        await server.start()
        stop.append(server)
        ready.set()
        await server.wait_for_termination()

    threading.Thread(target=lambda: asyncio.run(serve()), daemon=True).start()
    ready.wait()
    with grpc.insecure_channel(
        f"unix:{path}", options=[("grpc.max_receive_message_length", 64 << 20)]
    ) as channel:
        call = channel.unary_stream("/floor.Floor/Stream")
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            received = sum(len(message) for message in call(b""))
            best = min(best, time.perf_counter() - started)
            assert received == size
    return best


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    path = root / "million.yaml"
    path.write_text(PIPELINE)
    agent = spawn_agent(root / "agent")
    size = 0
    try:
        for number in range(1, args.runs + 1):
            started = time.perf_counter()
            result = subprocess.run(
                [str(OMNIX), "run", str(path), "--json", "--agent", agent.address],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env=environment(),
                check=True,
            )
            wall = time.perf_counter() - started
            document = json.loads(result.stdout)
            size = len(result.stdout)
            with AgentClient(AgentAddress(agent.address)) as client:
                started = time.perf_counter()
                client.read_outputs(document["run_id"])
                read = time.perf_counter() - started
                run = client.call(
                    client.runs.GetRun, run_pb2.GetRunRequest(run_id=document["run_id"])
                ).run
            print(
                f"run {number}: wall {wall:.2f} s, on the agent {run.finished_at - run.created_at:.2f}"
                f" s (node {document['nodes']['rows']['duration_s']:.2f} s),"
                f" ReadOutputs alone {read:.2f} s, {size / 1e6:.0f} MB of JSON"
            )
    finally:
        agent.close()
    started = time.perf_counter()
    subprocess.run([str(OMNIX), "--version"], check=True, capture_output=True)
    print(f"floor: omnix --version {time.perf_counter() - started:.3f} s")
    print(f"floor: raw gRPC stream of {size / 1e6:.0f} MB {grpc_stream_floor(size):.3f} s")


if __name__ == "__main__":
    main()
