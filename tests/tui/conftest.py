"""Fixtures for the terminal UI tests: a pipeline file, the editor on it, a real agent."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from omnix.tui.app import EditorApp
from omnix.tui.document import PipelineDocument

EXAMPLE = Path(__file__).with_name("sales.yaml")


@pytest.fixture(autouse=True)
def truecolor_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Apps see a truecolor terminal whatever the machine's TERM, so snapshots do not
    depend on where they run; tests of other terminals set their own."""
    monkeypatch.setenv("COLORTERM", "truecolor")


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    """A copy of the documented example pipeline, safe to edit and save."""
    path = tmp_path / "sales.yaml"
    path.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return path


@pytest.fixture
def editor(pipeline_file: Path) -> EditorApp:
    """The editor on the example pipeline (not started)."""
    return EditorApp(PipelineDocument.load(pipeline_file))


@dataclass
class Agent:
    """An `omnix-agent serve` process on a unix socket in a temporary state dir."""

    state_dir: Path
    process: subprocess.Popen[bytes]

    @property
    def address(self) -> str:
        return f"unix:{self.state_dir / 'agent.sock'}"


def _wait_serving(agent: Agent, log: Path) -> None:
    deadline = time.monotonic() + 30
    with grpc.insecure_channel(agent.address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.monotonic() < deadline:
            if agent.process.poll() is not None:
                raise AssertionError(f"agent exited:\n{log.read_text()}")
            try:
                reply = stub.Check(
                    health_pb2.HealthCheckRequest(), timeout=0.5, wait_for_ready=True
                )
            except grpc.RpcError:
                continue
            if reply.status == health_pb2.HealthCheckResponse.SERVING:
                return
    raise AssertionError(f"agent not serving after 30 s:\n{log.read_text()}")


@pytest.fixture(scope="session")
def agent() -> Iterator[Agent]:
    """A real agent for the TUI to talk to, shared by the session's tests (starting one
    costs seconds); stopped and reaped at the end."""
    # A short path: unix socket paths are limited to 107 bytes.
    state_dir = Path(tempfile.mkdtemp(prefix="oxtui", dir="/tmp"))
    log = state_dir / "agent.log"
    command = [sys.executable, "-m", "omnix.agent", "serve", "--state-dir", str(state_dir)]
    with open(log, "ab") as output:
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=output)
    running = Agent(state_dir, process)
    try:
        _wait_serving(running, log)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        shutil.rmtree(state_dir, ignore_errors=True)
