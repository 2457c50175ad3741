"""kill -9 of the agent during 50 runs: nothing acknowledged is lost, every run ends."""

from __future__ import annotations

import sqlite3
import threading

import grpc
from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import AgentFactory, python_pipeline

FINAL = {
    status_pb2.RUN_STATUS_SUCCEEDED,
    status_pb2.RUN_STATUS_FAILED,
    status_pb2.RUN_STATUS_CANCELLED,
}


def test_kill_9_during_50_runs_loses_no_acknowledged_run_or_event(
    agent_factory: AgentFactory,
) -> None:
    agent = agent_factory()
    state_dir = agent.state_dir
    runs = agent.runs()
    # A run that is surely running at the kill, watched: what the watcher saw must survive.
    slow = runs.StartRun(
        run_pb2.StartRunRequest(
            pipeline_source=python_pipeline("slow", nodes=1, code="import time; time.sleep(5)")
        ),
        timeout=10,
    ).run.run_id
    seen: list[run_pb2.WatchRunResponse] = []
    node_running = threading.Event()

    def watch() -> None:
        try:
            for event in runs.WatchRun(run_pb2.WatchRunRequest(run_id=slow), timeout=60):
                seen.append(event)
                if event.node_state.status == status_pb2.NODE_STATUS_RUNNING:
                    node_running.set()
        except grpc.RpcError:
            pass  # The agent died under the stream.

    watcher = threading.Thread(target=watch)
    watcher.start()
    assert node_running.wait(30)

    acknowledged: list[str] = [slow]
    source = python_pipeline("quick", nodes=2, code="import time; time.sleep(0.02)")
    for index in range(50):
        if index == 30:
            agent.kill()  # SIGKILL: no drain, no clean close
        try:
            reply = runs.StartRun(run_pb2.StartRunRequest(pipeline_source=source), timeout=5)
        except grpc.RpcError as exc:
            assert exc.code() == grpc.StatusCode.UNAVAILABLE
            continue
        acknowledged.append(reply.run.run_id)
    watcher.join(30)
    assert len(acknowledged) == 31

    restarted = agent_factory(state_dir)
    for run_id in acknowledged:
        run = restarted.wait_for_run(run_id, timeout_s=60)
        assert run.status in FINAL, run

    slow_run = restarted.wait_for_run(slow)
    assert slow_run.status == status_pb2.RUN_STATUS_FAILED
    assert slow_run.reason == "agent restarted"
    replay = list(restarted.runs().WatchRun(run_pb2.WatchRunRequest(run_id=slow), timeout=10))
    assert replay[: len(seen)] == seen

    db = sqlite3.connect(state_dir / "agent.db")
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        unfinished = db.execute(
            "SELECT COUNT(*) FROM runs WHERE status IN ('queued', 'running')"
        ).fetchone()[0]
        assert unfinished == 0
        stored = {row[0] for row in db.execute("SELECT run_id FROM runs")}
    finally:
        db.close()
    assert set(acknowledged) <= stored
