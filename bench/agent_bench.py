"""Agent benchmarks (docs/benchmarks.md, section "Agent"). Run on demand:

    .venv/bin/python bench/agent_bench.py [--repeats N]

Starts a real `omnix-agent serve` in a temporary state dir and measures, against floors:
- per-node cost of a 200-node Python chain run through the agent (every state durable),
  next to the same chain run in-process by the engine (`omnix-agent run`'s path);
- submit-to-first-node-start on a warm agent (StartRun sent -> first node `running` seen);
- the idle agent's RSS, and that pandas, pyarrow and DuckDB are not loaded in it;
- floors: a raw unix-socket round trip and a gRPC health round trip on the same socket;
- `omnix run FILE` end to end for the chain, next to `omnix --version` (CLI start floor).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from omnix.v1 import run_pb2, run_pb2_grpc, status_pb2

BIN = Path(sys.executable).parent


def chain(nodes: int, name: str = "chain") -> str:
    lines = ["omnix: 1", f"name: {name}", "nodes:"]
    for index in range(nodes):
        lines += [f"  - id: n{index}", "    lang: python", "    code: '1'"]
        if index:
            lines.append(f"    needs: [n{index - 1}]")
    return "\n".join(lines) + "\n"


def p50(values: list[float]) -> float:
    return statistics.median(values)


def start_agent(state_dir: Path) -> subprocess.Popen[bytes]:
    log = open(state_dir / "agent.log", "ab")  # noqa: SIM115 - lives as long as the agent
    process = subprocess.Popen(
        [sys.executable, "-m", "omnix.agent", "serve", "--state-dir", str(state_dir)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    with grpc.insecure_channel(f"unix:{state_dir / 'agent.sock'}") as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                stub.Check(health_pb2.HealthCheckRequest(), timeout=1, wait_for_ready=True)
                return process
            except grpc.RpcError:
                continue
    process.kill()
    raise SystemExit("the agent did not start")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def heavy_libraries_loaded(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text()
    return [name for name in ("pandas", "pyarrow", "duckdb") if name in maps]


def raw_unix_round_trip_us(samples: int) -> float:
    path = Path(tempfile.mkdtemp(prefix="oxb", dir="/tmp")) / "echo.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)

    def echo() -> None:
        connection, _ = server.accept()
        while data := connection.recv(64):
            connection.sendall(data)
        connection.close()

    thread = threading.Thread(target=echo)
    thread.start()
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(str(path))
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        client.sendall(b"x")
        client.recv(64)
        times.append(time.perf_counter() - started)
    client.close()
    thread.join()
    server.close()
    shutil.rmtree(path.parent)
    return p50(times) * 1e6


def grpc_round_trip_us(channel: grpc.Channel, samples: int) -> float:
    stub = health_pb2_grpc.HealthStub(channel)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
        times.append(time.perf_counter() - started)
    return p50(times) * 1e6


def run_through_agent(stub: run_pb2_grpc.RunServiceStub, source: str) -> tuple[float, float]:
    """(seconds from StartRun to the run's end, seconds to the first node running)."""
    started = time.perf_counter()
    run_id = stub.StartRun(run_pb2.StartRunRequest(pipeline_source=source), timeout=30).run.run_id
    first_node = float("nan")
    for event in stub.WatchRun(run_pb2.WatchRunRequest(run_id=run_id), timeout=300):
        if (
            first_node != first_node  # still NaN
            and event.WhichOneof("event") == "node_state"
            and event.node_state.status == status_pb2.NODE_STATUS_RUNNING
        ):
            first_node = time.perf_counter() - started
    total = time.perf_counter() - started
    status = stub.GetRun(run_pb2.GetRunRequest(run_id=run_id), timeout=30).run.status
    assert status == status_pb2.RUN_STATUS_SUCCEEDED, status
    return total, first_node


async def run_in_process(source: str, repeats: int) -> list[float]:
    from omnix.agent.runs.engine import Engine
    from omnix.shared.pipeline import parse_pipeline

    pipeline = parse_pipeline(source)
    times = []
    async with Engine() as engine:
        await engine.run(pipeline)  # warm the workers
        for _ in range(repeats):
            started = time.perf_counter()
            await engine.run(pipeline, on_event=lambda event: None)
            times.append(time.perf_counter() - started)
    return times


def cli_seconds(args: list[str], env: dict[str, str], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(args, env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return p50(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--nodes", type=int, default=200)
    args = parser.parse_args()
    state_dir = Path(tempfile.mkdtemp(prefix="oxb", dir="/tmp"))
    process = start_agent(state_dir)
    try:
        time.sleep(1.0)  # let start-up work settle before measuring the idle RSS
        idle_rss = rss_mib(process.pid)
        heavy = heavy_libraries_loaded(process.pid)
        address = f"unix:{state_dir / 'agent.sock'}"
        channel = grpc.insecure_channel(address)
        stub = run_pb2_grpc.RunServiceStub(channel)
        source = chain(args.nodes)
        run_through_agent(stub, source)  # warm the agent's workers
        chain_totals = [run_through_agent(stub, source)[0] for _ in range(args.repeats)]
        single = chain(1, "single")
        first_node = [run_through_agent(stub, single)[1] for _ in range(50)]
        floor_raw = raw_unix_round_trip_us(2000)
        floor_grpc = grpc_round_trip_us(channel, 2000)
        in_process = asyncio.run(run_in_process(source, args.repeats))
        chain_file = state_dir / "chain.yaml"
        chain_file.write_text(source)
        env = {**os.environ, "OMNIX_AGENT": address}
        cli_run = cli_seconds([str(BIN / "omnix"), "run", str(chain_file), "--json"], env, 5)
        cli_floor = cli_seconds([str(BIN / "omnix"), "--version"], env, 5)
        busy_rss = rss_mib(process.pid)
        channel.close()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    per_node_agent = p50(chain_totals) / args.nodes * 1000
    per_node_engine = p50(in_process) / args.nodes * 1000
    print(f"nodes per chain: {args.nodes}, repeats: {args.repeats}")
    print(f"chain via agent, per node p50:     {per_node_agent:.3f} ms")
    print(f"chain in-process, per node p50:    {per_node_engine:.3f} ms")
    print(f"agent overhead per node p50:       {per_node_agent - per_node_engine:.3f} ms")
    print(f"submit -> first node running p50:  {p50(first_node) * 1000:.3f} ms")
    print(f"idle agent RSS:                    {idle_rss:.1f} MiB")
    print(f"agent RSS after the runs:          {busy_rss:.1f} MiB")
    print(f"pandas/pyarrow/duckdb in agent:    {heavy or 'none'}")
    print(f"floor: raw unix socket round trip: {floor_raw:.1f} us")
    print(f"floor: gRPC health round trip:     {floor_grpc:.1f} us")
    print(f"omnix run FILE ({args.nodes} nodes) p50:    {cli_run * 1000:.0f} ms")
    print(f"floor: omnix --version p50:        {cli_floor * 1000:.0f} ms")
    shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
