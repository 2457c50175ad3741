"""ScheduleService on a real agent: deployed schedules fire, preview, pause and resume."""

from __future__ import annotations

import itertools
import time

import grpc
import pytest
from omnix.v1 import pipeline_pb2, run_pb2, schedule_pb2, schedule_pb2_grpc

from tests.agent.agents import RunningAgent, python_pipeline


def scheduled(name: str, schedule: str) -> str:
    return python_pipeline(name, nodes=1).replace("nodes:", f"schedule:\n{schedule}nodes:", 1)


def deploy(agent: RunningAgent, source: str) -> None:
    agent.pipelines().DeployPipeline(pipeline_pb2.DeployPipelineRequest(source=source), timeout=10)


def test_a_deployed_cron_schedule_is_listed_with_its_next_fire_and_previewed(
    module_agent: RunningAgent,
) -> None:
    deploy(module_agent, scheduled("nightly", '  cron: "0 3 * * *"\n  timezone: Europe/Berlin\n'))
    stub = schedule_pb2_grpc.ScheduleServiceStub(module_agent.channel())
    every = stub.ListSchedules(schedule_pb2.ListSchedulesRequest(), timeout=10).schedules
    listed = [s for s in every if s.pipeline_name == "nightly"]
    assert [(s.pipeline_name, s.cron, s.timezone) for s in listed] == [
        ("nightly", "0 3 * * *", "Europe/Berlin")
    ]
    assert listed[0].next_fire_at > time.time()
    preview = stub.PreviewSchedule(
        schedule_pb2.PreviewScheduleRequest(pipeline_name="nightly", count=3), timeout=10
    ).fire_times
    assert len(preview) == 3 and preview[0] == listed[0].next_fire_at
    assert [round(b - a) for a, b in itertools.pairwise(preview)] == [86400, 86400]


def test_pausing_a_schedule_clears_its_next_fire_until_resumed(module_agent: RunningAgent) -> None:
    deploy(module_agent, scheduled("paused", '  cron: "*/5 * * * *"\n'))
    stub = schedule_pb2_grpc.ScheduleServiceStub(module_agent.channel())
    paused = stub.PauseSchedule(
        schedule_pb2.PauseScheduleRequest(pipeline_name="paused"), timeout=10
    ).schedule
    assert paused.paused and paused.next_fire_at == 0
    resumed = stub.ResumeSchedule(
        schedule_pb2.ResumeScheduleRequest(pipeline_name="paused"), timeout=10
    ).schedule
    assert not resumed.paused and resumed.next_fire_at > time.time()


def test_a_pipeline_without_a_schedule_cannot_be_previewed(module_agent: RunningAgent) -> None:
    deploy(module_agent, python_pipeline("unscheduled"))
    stub = schedule_pb2_grpc.ScheduleServiceStub(module_agent.channel())
    with pytest.raises(grpc.RpcError) as raised:
        stub.PreviewSchedule(
            schedule_pb2.PreviewScheduleRequest(pipeline_name="unscheduled"), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_an_every_schedule_fires_runs_of_the_deployed_pipeline(module_agent: RunningAgent) -> None:
    deploy(module_agent, scheduled("ticking", "  every: 1s\n"))
    runs = module_agent.runs()
    deadline = time.monotonic() + 20
    fired: list[run_pb2.Run] = []
    try:
        while not fired and time.monotonic() < deadline:
            # No event announces a scheduled run to a client; poll the run list (bounded).
            listed = runs.ListRuns(run_pb2.ListRunsRequest(pipeline_name="ticking"), timeout=10)
            fired = [r for r in listed.runs if r.trigger == "schedule"]
            time.sleep(0.1)
    finally:  # The agent is shared: stop the ticking.
        module_agent.pipelines().DeletePipeline(
            pipeline_pb2.DeletePipelineRequest(name="ticking"), timeout=10
        )
    assert fired, "no scheduled run within 20 s"
    assert module_agent.wait_for_run(fired[-1].run_id).version == 1
