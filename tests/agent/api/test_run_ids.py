"""Any unique prefix of a run id works wherever a run id does, as short commit ids do in git."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import RunningAgent, environment, python_pipeline

OMNIX = Path(sys.executable).with_name("omnix")


def start(agent: RunningAgent, name: str, code: str = "1") -> str:
    request = run_pb2.StartRunRequest(
        pipeline_source=python_pipeline(name, nodes=1, code=code), source_path=f"/{name}.yaml"
    )
    run_id: str = agent.runs().StartRun(request, timeout=10).run.run_id
    return run_id


def test_get_run_takes_the_twelve_characters_omnix_run_prints(module_agent: RunningAgent) -> None:
    run_id = start(module_agent, "shortget")
    module_agent.wait_for_run(run_id)
    run = module_agent.runs().GetRun(run_pb2.GetRunRequest(run_id=run_id[:12]), timeout=10).run
    assert run.run_id == run_id


def test_watch_run_takes_a_prefix(module_agent: RunningAgent) -> None:
    run_id = start(module_agent, "shortwatch")
    events = list(
        module_agent.runs().WatchRun(run_pb2.WatchRunRequest(run_id=run_id[:12]), timeout=30)
    )
    assert events[-1].run_state.status == status_pb2.RUN_STATUS_SUCCEEDED


def test_cancel_run_takes_a_prefix(module_agent: RunningAgent) -> None:
    run_id = start(module_agent, "shortcancel", code="import time; time.sleep(30)")
    module_agent.runs().CancelRun(run_pb2.CancelRunRequest(run_id=run_id[:12]), timeout=10)
    assert module_agent.wait_for_run(run_id).status == status_pb2.RUN_STATUS_CANCELLED


def test_an_ambiguous_prefix_names_the_runs_it_matches(module_agent: RunningAgent) -> None:
    first, second = start(module_agent, "ambiguous"), start(module_agent, "ambiguous")
    common = next(i for i, (a, b) in enumerate(zip(first, second, strict=True)) if a != b)
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().GetRun(run_pb2.GetRunRequest(run_id=first[:common]), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert "is ambiguous" in details and first in details and second in details


def test_a_prefix_of_no_run_is_not_found(module_agent: RunningAgent) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().GetRun(run_pb2.GetRunRequest(run_id="ffffffffffff"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_omnix_logs_takes_the_id_omnix_run_printed(module_agent: RunningAgent) -> None:
    run_id = start(module_agent, "shortlogs", code="print('hello from the node')")
    module_agent.wait_for_run(run_id)
    result = subprocess.run(
        [str(OMNIX), "logs", run_id[:12], "--agent", module_agent.address],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "hello from the node" in result.stdout
