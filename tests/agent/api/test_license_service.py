"""LicenseService, `omnix-agent license show|install` and `omnix-agent status` against real
agent processes on the Free tier (an agent process trusts only the vendor key)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from omnix.tui.session import AgentSession
from omnix.v1 import (
    license_pb2,
    license_pb2_grpc,
    pipeline_pb2,
    run_pb2,
    schedule_pb2,
    schedule_pb2_grpc,
)

from tests.agent.agents import AgentFactory, RunningAgent, environment, python_pipeline, spawn_agent

BIN = Path(sys.executable).parent
FREE_RUNS_PER_DAY = 100


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "omnix-agent"), *args],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def record_runs(state_dir: Path, count: int, at: float) -> None:
    """Write `count` finished runs created at `at` straight into a stopped agent's store."""
    with sqlite3.connect(state_dir / "agent.db") as db:
        db.executemany(
            "INSERT INTO runs (run_id, pipeline, version, source, source_path, status,"
            " params_json, trigger, created_at, finished_at)"
            " VALUES (?, 'seeded', 0, '', '', 'succeeded', '{}', 'manual', ?, ?)",
            [(uuid.uuid4().hex, at, at) for _ in range(count)],
        )


def license_info(agent: RunningAgent) -> license_pb2.LicenseInfo:
    stub = license_pb2_grpc.LicenseServiceStub(agent.channel())
    info: license_pb2.LicenseInfo = stub.GetLicense(
        license_pb2.GetLicenseRequest(), timeout=10
    ).license
    return info


@pytest.fixture(scope="module")
def exhausted() -> Iterator[RunningAgent]:
    """An agent whose store already holds today's 100 Free-tier runs."""
    path = Path(tempfile.mkdtemp(prefix="ox", dir="/tmp"))
    first = spawn_agent(path / "a")  # creates the store and its schema
    first.close()
    record_runs(path / "a", FREE_RUNS_PER_DAY, time.time())
    agent = spawn_agent(path / "a")
    yield agent
    agent.close()
    shutil.rmtree(path, ignore_errors=True)


def test_get_license_reports_the_free_tier_and_todays_usage(exhausted: RunningAgent) -> None:
    info = license_info(exhausted)
    assert info.tier == "free" and info.state == license_pb2.LICENSE_STATE_ABSENT
    assert "no license installed" in info.message
    limits = {limit.name: limit for limit in info.limits}
    runs = limits["executions per day"]
    assert (runs.allowed, runs.used) == (FREE_RUNS_PER_DAY, FREE_RUNS_PER_DAY)
    assert not limits["pipelines"].HasField("allowed")  # unlimited on Free
    assert {f.name: f.included for f in info.features}["SSO"] is False


def test_a_run_beyond_the_days_quota_is_resource_exhausted(exhausted: RunningAgent) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        exhausted.runs().StartRun(
            run_pb2.StartRunRequest(pipeline_source=python_pipeline("over", nodes=1)), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "executions per day: 100 of 100 used on the Free tier" in str(raised.value.details())


def test_a_refused_scheduled_run_is_recorded_refused_with_its_reason(
    exhausted: RunningAgent,
) -> None:
    source = python_pipeline("quota", nodes=1).replace("nodes:", "schedule:\n  every: 1s\nnodes:")
    exhausted.pipelines().DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=source), timeout=10
    )
    found: list[tuple[str, str]] = []
    deadline = time.monotonic() + 20
    try:
        while not found and time.monotonic() < deadline:
            # No event announces a fire to a client; poll the store read-only (bounded).
            with sqlite3.connect(
                f"file:{exhausted.state_dir / 'agent.db'}?mode=ro", uri=True
            ) as db:
                found = db.execute(
                    "SELECT outcome, reason FROM schedule_fires WHERE pipeline = 'quota'"
                ).fetchall()
            time.sleep(0.1)
    finally:
        exhausted.pipelines().DeletePipeline(
            pipeline_pb2.DeletePipelineRequest(name="quota"), timeout=10
        )
    assert found, "no fire recorded within 20 s"
    outcome, reason = found[0]
    assert outcome == "refused"
    assert "executions per day: 100 of 100 used on the Free tier" in reason
    listed = exhausted.runs().ListRuns(run_pb2.ListRunsRequest(pipeline_name="quota"), timeout=10)
    assert not listed.runs


def test_license_show_takes_usage_from_the_running_agent(exhausted: RunningAgent) -> None:
    shown = cli("license", "show", "--json", "--state-dir", str(exhausted.state_dir))
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    assert report["usage"]["executions per day"] == FREE_RUNS_PER_DAY
    assert report["usage_source"] == f"the running agent at {exhausted.address}"
    text = cli("license", "show", "--state-dir", str(exhausted.state_dir)).stdout
    assert "executions per day   100 of 100 used" in text
    assert "Usage from:   the running agent" in text


def test_status_reports_the_license_line_and_runs_today_perfdata(exhausted: RunningAgent) -> None:
    result = cli("status", "--state-dir", str(exhausted.state_dir))
    assert result.returncode == 1, result.stdout  # the day's executions are used up
    first, *rest = result.stdout.splitlines()
    assert first.startswith("OMNIX WARNING - license limit reached")
    assert " runs_today=100;;;0;100" in first
    assert any(
        line.strip().startswith("license:    free (absent)")
        and "executions per day 100 of 100" in line
        for line in rest
    )


def test_license_show_without_an_agent_reads_the_store_read_only(
    agent_factory: AgentFactory, short_tmp: Path
) -> None:
    state = short_tmp / "stopped"
    agent_factory(state).close()
    record_runs(state, 3, time.time())
    before = (state / "agent.db").stat().st_mtime_ns
    shown = cli("license", "show", "--json", "--state-dir", str(state))
    report = json.loads(shown.stdout)
    assert report["usage"]["executions per day"] == 3
    assert report["usage_source"].startswith(f"the store file {state / 'agent.db'} (read-only")
    assert (state / "agent.db").stat().st_mtime_ns == before


def test_install_through_the_agent_refuses_a_bad_key_and_keeps_none(
    agent_factory: AgentFactory,
) -> None:
    agent = agent_factory()
    stub = license_pb2_grpc.LicenseServiceStub(agent.channel())
    with pytest.raises(grpc.RpcError) as raised:
        stub.InstallLicense(license_pb2.InstallLicenseRequest(key="OMNIX-T-AAAAA"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "the license key is not valid" in str(raised.value.details())
    result = cli("license", "install", "OMNIX-T-AAAAA", "--state-dir", str(agent.state_dir))
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: the agent refused the key: the license key is not valid"
    )
    assert not (agent.state_dir / "license.key").exists()


def test_status_warns_when_the_installed_license_is_invalid(
    agent_factory: AgentFactory, short_tmp: Path
) -> None:
    state = short_tmp / "invalid"
    state.mkdir(mode=0o700)
    (state / "license.key").write_text("OMNIX-T-NOT-A-KEY\n")
    agent_factory(state)
    result = cli("status", "--state-dir", str(state))
    assert result.returncode == 1, result.stdout
    assert result.stdout.startswith("OMNIX WARNING - license invalid: the installed license key")
    assert "running on the Free tier" in result.stdout.splitlines()[0]


def test_the_client_session_reports_the_license_with_todays_usage(exhausted: RunningAgent) -> None:
    with AgentSession(exhausted.address) as session:
        summary = session.license()
    assert (summary.tier, summary.state, summary.warning) == ("free", "absent", False)
    runs = next(limit for limit in summary.limits if limit.name == "executions per day")
    assert (runs.allowed, runs.used) == (FREE_RUNS_PER_DAY, FREE_RUNS_PER_DAY)
    assert dict(summary.features)["secrets"] is False


def test_omnix_runs_lists_refused_fires_with_their_reason(exhausted: RunningAgent) -> None:
    source = python_pipeline("quotashown", nodes=1).replace(
        "nodes:", "schedule:\n  every: 1s\nnodes:"
    )
    exhausted.pipelines().DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=source), timeout=10
    )
    schedules = schedule_pb2_grpc.ScheduleServiceStub(exhausted.channel())
    request = schedule_pb2.ListUnfiredFiresRequest(pipeline_name="quotashown")
    deadline = time.monotonic() + 20
    try:
        while not schedules.ListUnfiredFires(request, timeout=10).fires:
            assert time.monotonic() < deadline, "no refused fire within 20 s"
            time.sleep(0.1)  # no event announces a fire to a client
        listed = subprocess.run(
            [str(BIN / "omnix"), "runs", "quotashown", "--agent", exhausted.address],
            capture_output=True,
            text=True,
            env=environment(),
            timeout=60,
        )
    finally:
        exhausted.pipelines().DeletePipeline(
            pipeline_pb2.DeletePipelineRequest(name="quotashown"), timeout=10
        )
    assert listed.returncode == 0, listed.stderr
    line = listed.stdout.splitlines()[0]
    assert " quotashown " in line and " refused  (executions per day: 100 of 100" in line
