"""Real agents on real sockets: `omnix-agent serve` subprocesses in temporary state dirs,
and the pipelines and environments the tests give them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from omnix.v1 import agent_pb2, agent_pb2_grpc, pipeline_pb2_grpc, run_pb2, run_pb2_grpc

START_TIMEOUT_S = 30.0


@dataclass
class RunningAgent:
    """One agent process and ways to talk to it."""

    state_dir: Path
    process: subprocess.Popen[bytes]
    tcp_address: str = ""
    channels: list[grpc.Channel] = field(default_factory=list)

    @property
    def socket(self) -> Path:
        return self.state_dir / "agent.sock"

    @property
    def address(self) -> str:
        return f"unix:{self.socket}"

    @property
    def token(self) -> str:
        return (self.state_dir / "admin.token").read_text().strip()

    def channel(self, target: str | None = None) -> grpc.Channel:
        options = [
            ("grpc.max_send_message_length", 64 << 20),
            # Not the process-wide pool: a dead agent's connection backoff must not leak
            # into channels to the agent restarted on the same socket.
            ("grpc.use_local_subchannel_pool", 1),
        ]
        channel = grpc.insecure_channel(target or self.address, options=options)
        self.channels.append(channel)
        return channel

    def runs(self) -> Any:
        return run_pb2_grpc.RunServiceStub(self.channel())

    def pipelines(self) -> Any:
        return pipeline_pb2_grpc.PipelineServiceStub(self.channel())

    def wait_for_run(
        self, run_id: str, timeout_s: float = 30.0, *, with_outputs: bool = True
    ) -> run_pb2.Run:
        """Follow WatchRun to its end, then return the recorded run."""
        stub = self.runs()
        for _ in stub.WatchRun(run_pb2.WatchRunRequest(run_id=run_id), timeout=timeout_s):
            pass
        request = run_pb2.GetRunRequest(run_id=run_id, include_outputs=with_outputs)
        reply = stub.GetRun(request, timeout=10)
        run: run_pb2.Run = reply.run
        return run

    def kill(self) -> None:
        """SIGKILL the agent like a crash, then its orphaned workers (this test started them)."""
        workers = descendants(self.process.pid)
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def close(self) -> None:
        for channel in self.channels:
            channel.close()
        self.channels.clear()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Pollable(Protocol):
    """What `wait_serving` needs of a process: `poll()` and `returncode`."""

    returncode: int | Any

    def poll(self) -> int | None: ...


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def wait_serving(target: str, process: Pollable, log: Path) -> None:
    """Block until the health service says SERVING (bounded), failing early if it died."""
    deadline = time.monotonic() + START_TIMEOUT_S
    with grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)]) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"agent exited with {process.returncode}:\n{log.read_text()}")
            try:
                reply = stub.Check(
                    health_pb2.HealthCheckRequest(), timeout=0.5, wait_for_ready=True
                )
            except grpc.RpcError:
                continue
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
    raise AssertionError(f"agent not serving after {START_TIMEOUT_S}s:\n{log.read_text()}")


def spawn_agent(
    state_dir: Path, *args: str, tcp: bool = False, env: dict[str, str] | None = None
) -> RunningAgent:
    """`omnix-agent serve --state-dir DIR` in the background, once SERVING."""
    log = state_dir / "agent.log"
    state_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "omnix.agent", "serve", "--state-dir", str(state_dir)]
    if tcp:
        command += ["--listen", "127.0.0.1:0"]
    with open(log, "ab") as stderr:
        process = subprocess.Popen(
            [*command, *args], stdin=subprocess.DEVNULL, stdout=stderr, stderr=stderr, env=env
        )
    agent = RunningAgent(state_dir, process)
    try:
        wait_serving(agent.address, process, log)
        if tcp:
            status = agent_pb2_grpc.AgentServiceStub(agent.channel()).GetStatus(
                agent_pb2.GetStatusRequest(), timeout=10
            )
            agent.tcp_address = next(a for a in status.listen_addresses if a.startswith("127."))
    except BaseException:
        agent.close()
        raise
    return agent


class AgentFactory(Protocol):
    def __call__(
        self,
        state_dir: Path | None = None,
        *args: str,
        tcp: bool = False,
        env: dict[str, str] | None = None,
    ) -> RunningAgent: ...


def python_pipeline(name: str = "demo", nodes: int = 2, code: str = "1") -> str:
    """A chain of `nodes` Python nodes, each printing a line."""
    lines = ["omnix: 1", f"name: {name}", "nodes:"]
    for index in range(nodes):
        lines += [f"  - id: n{index}", "    lang: python"]
        if index:
            lines.append(f"    needs: [n{index - 1}]")
        lines += ["    code: |", f"      print('node {index}')", f"      {code}"]
    return "\n".join(lines) + "\n"


def environment(**extra: str) -> dict[str, str]:
    """This process's environment plus `extra`, for CLI subprocesses."""
    env = dict(os.environ)
    env.pop("OMNIX_AGENT", None)
    env.pop("OMNIX_TOKEN", None)
    env.update(extra)
    return env
