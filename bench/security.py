"""What security costs: the policy check on every call, and masking secrets in logs.

    .venv/bin/python bench/security.py [--calls 5000] [--lines 100000] [--repeat 3]

1. Authorisation: the decision path every call takes (bearer token -> principal -> policy
   rule), timed alone; and ListSchedules end to end on the agent's unix socket through the
   policy interceptor against a second server of the same agent without it.
2. Masking: a Python node printing 100,000 log lines, run by the engine without secrets,
   with a secret set (every line scanned, none matches) and with the secret in every tenth
   line. The floor is the first.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import grpc
from omnix.agent.api.auth import PolicyInterceptor
from omnix.agent.config import AgentConfig
from omnix.agent.runs.engine import Engine
from omnix.agent.server import Agent
from omnix.shared.events import NodeLog
from omnix.shared.pipeline import parse_pipeline
from omnix.v1 import schedule_pb2, schedule_pb2_grpc


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[int(len(ordered) * 0.95)]
    return f"p50 {p50:.1f} us, p95 {p95:.1f} us"


async def authorisation(calls: int) -> None:
    state = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    agent = Agent(AgentConfig(), state, token="bench-admin-token")
    try:
        await agent.start()
        security = agent.daemon.security
        owner = security.accounts.owner()
        token, _ = await security.accounts.create_token(owner, "bench", owner.role, None, peer="")
        method = "/omnix.v1.ScheduleService/ListSchedules"
        decision = []
        for _ in range(calls):
            started = time.perf_counter()
            caller = security.identify(token, local=False)
            assert not isinstance(caller, type(None))
            security.authorize(method, caller)  # type: ignore[arg-type]
            decision.append((time.perf_counter() - started) * 1e6)
        print(f"decision path (token lookup + policy): {percentiles(decision)}")

        assert agent._server is not None
        bare = agent._server._build([])
        bare_socket = state / "bare.sock"
        bare.add_insecure_port(f"unix:{bare_socket}")
        await bare.start()
        checked = agent._server._build([PolicyInterceptor(security, local=True)])
        checked_socket = state / "checked.sock"
        checked.add_insecure_port(f"unix:{checked_socket}")
        await checked.start()
        results: dict[str, list[float]] = {}
        for label, path in (("without the interceptor", bare_socket), ("with it", checked_socket)):
            async with grpc.aio.insecure_channel(f"unix:{path}") as channel:
                stub: Any = schedule_pb2_grpc.ScheduleServiceStub(channel)
                request = schedule_pb2.ListSchedulesRequest()
                for _ in range(200):
                    await stub.ListSchedules(request, timeout=10)
                times = []
                for _ in range(calls):
                    started = time.perf_counter()
                    await stub.ListSchedules(request, timeout=10)
                    times.append((time.perf_counter() - started) * 1e6)
                results[label] = times
                print(f"ListSchedules {label}: {percentiles(times)}")
        added = statistics.median(results["with it"]) - statistics.median(
            results["without the interceptor"]
        )
        print(f"added by the interceptor, p50: {added:.1f} us")
        await bare.stop(0)
        await checked.stop(0)
    finally:
        await agent.stop(0)
        shutil.rmtree(state, ignore_errors=True)


PIPELINE = """\
omnix: 1
name: noisy
nodes:
  - id: noisy
    lang: python
    {secrets}
    code: |
      import os
      key = os.environ.get("API_KEY", "none")
      for i in range({lines}):
          print(f"line {{i}} of the log, processing record {{i * 7}}" + (key if i % 10 == 0 and {leak} else ""))
      {lines}
"""


async def masking(lines: int, repeat: int) -> None:
    secret = "sk-live-9f8e7d6c5b4a39281716"
    folder = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    try:
        async with Engine(secrets={"API_KEY": secret}.get) as engine:
            for label, secrets, leak in (
                ("no secret (floor)", "", "False"),
                ("secret set, never printed", "secrets: [API_KEY]", "False"),
                ("secret in every 10th line", "secrets: [API_KEY]", "True"),
            ):
                path = folder / "noisy.yaml"
                path.write_text(PIPELINE.format(secrets=secrets, lines=lines, leak=leak))
                pipeline = parse_pipeline(path.read_text(), path=str(path))
                walls = []
                for _ in range(repeat):
                    received = [0]

                    def count(event: object, received: list[int] = received) -> None:
                        if isinstance(event, NodeLog):
                            received[0] += event.text.count("\n")

                    started = time.perf_counter()
                    document = await engine.run(pipeline, on_event=count)
                    walls.append(time.perf_counter() - started)
                    assert document.status.value == "succeeded", document.nodes
                    assert received[0] == lines, received
                print(f"{lines:,} log lines, {label}: {min(walls):.2f}-{max(walls):.2f} s")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(authorisation(args.calls))
    asyncio.run(masking(args.lines, args.repeat))


if __name__ == "__main__":
    main()
