"""Signals and systemd: SIGTERM drains, SIGHUP reloads, sd_notify readiness and stopping."""

from __future__ import annotations

import shutil
import signal
import socket
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import AgentFactory, RunningAgent, environment, python_pipeline, spawn_agent


def config(tmp: Path, text: str) -> str:
    path = tmp / "agent.toml"
    path.write_text(text)
    return str(path)


def start_and_wait_running(agent: RunningAgent, code: str) -> str:
    """Start a one-node run and return its id once the node is running."""
    runs = agent.runs()
    run_id: str = runs.StartRun(
        run_pb2.StartRunRequest(pipeline_source=python_pipeline("drained", nodes=1, code=code)),
        timeout=10,
    ).run.run_id
    stream = runs.WatchRun(run_pb2.WatchRunRequest(run_id=run_id), timeout=30)
    for event in stream:
        if event.node_state.status == status_pb2.NODE_STATUS_RUNNING:
            stream.cancel()
            break
    return run_id


def terminate(agent: RunningAgent) -> None:
    agent.process.send_signal(signal.SIGTERM)
    assert agent.process.wait(timeout=30) == 0


@dataclass
class Drained:
    quick: run_pb2.Run
    slow: run_pb2.Run
    stop_s: float


@pytest.fixture(scope="module")
def drained() -> Iterator[Drained]:
    """SIGTERM with a 3 s grace while two runs are running, one finishing in 0.5 s and one
    needing a minute; the runs as recorded, read back from the restarted agent."""
    path = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    agent = spawn_agent(path / "a", "--config", config(path, "drain_grace_s = 3.0\n"))
    restarted = None
    try:
        slow = start_and_wait_running(agent, "import time; time.sleep(60)")
        quick = start_and_wait_running(agent, "import time; time.sleep(0.5); 7")
        started = time.monotonic()
        terminate(agent)
        stop_s = time.monotonic() - started
        restarted = spawn_agent(path / "a")
        yield Drained(restarted.wait_for_run(quick), restarted.wait_for_run(slow), stop_s)
    finally:
        agent.close()
        if restarted is not None:
            restarted.close()
        shutil.rmtree(path, ignore_errors=True)


def test_sigterm_lets_a_run_finish_within_the_grace_period(drained: Drained) -> None:
    assert drained.quick.status == status_pb2.RUN_STATUS_SUCCEEDED
    assert drained.quick.nodes[0].output_json == "7"


def test_sigterm_cancels_and_records_nodes_still_running_after_the_grace_period(
    drained: Drained,
) -> None:
    assert drained.slow.status == status_pb2.RUN_STATUS_CANCELLED
    assert drained.slow.nodes[0].status == status_pb2.NODE_STATUS_CANCELLED
    assert drained.slow.reason == "the agent stopped and its drain grace period was over"
    assert 3.0 <= drained.stop_s < 15


def test_sighup_reloads_the_config_and_keeps_serving(
    agent_factory: AgentFactory, short_tmp: Path
) -> None:
    path = config(short_tmp, 'log_level = "info"\n')
    agent = agent_factory(None, "--config", path)
    Path(path).write_text('log_level = "debug"\ndrain_grace_s = 3.0\n')
    agent.process.send_signal(signal.SIGHUP)
    log = agent.state_dir / "agent.log"
    deadline = time.monotonic() + 10
    while "configuration reloaded" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)  # the log file offers no event to wait on
    assert "configuration reloaded" in log.read_text()
    assert agent.wait_for_run(start_and_wait_running(agent, "1")).status == (
        status_pb2.RUN_STATUS_SUCCEEDED
    )


def test_systemd_hears_ready_once_serving_and_stopping_on_sigterm(
    agent_factory: AgentFactory, short_tmp: Path
) -> None:
    notify_path = short_tmp / "notify.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as notify:
        notify.bind(str(notify_path))
        notify.settimeout(30)
        agent = agent_factory(None, env=environment(NOTIFY_SOCKET=str(notify_path)))
        ready = notify.recv(4096).decode()
        assert "READY=1" in ready and f"STATUS=serving on {agent.address}" in ready
        agent.process.send_signal(signal.SIGTERM)
        assert "STOPPING=1" in notify.recv(4096).decode()
        assert agent.process.wait(timeout=30) == 0
