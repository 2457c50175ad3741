"""A thousand malformed requests: no crash, the right status code, never UNKNOWN."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from omnix.v1 import pipeline_pb2, run_pb2, schedule_pb2

from tests.agent.agents import RunningAgent, python_pipeline

UNARY = [
    "/omnix.v1.PipelineService/DeployPipeline",
    "/omnix.v1.PipelineService/ListPipelines",
    "/omnix.v1.PipelineService/GetPipeline",
    "/omnix.v1.PipelineService/DeletePipeline",
    "/omnix.v1.RunService/StartRun",
    "/omnix.v1.RunService/GetRun",
    "/omnix.v1.RunService/ListRuns",
    "/omnix.v1.RunService/CancelRun",
    "/omnix.v1.ScheduleService/ListSchedules",
    "/omnix.v1.ScheduleService/PreviewSchedule",
    "/omnix.v1.ScheduleService/PauseSchedule",
    "/omnix.v1.ScheduleService/ResumeSchedule",
    "/omnix.v1.AgentService/GetStatus",
]
STREAM = "/omnix.v1.RunService/WatchRun"
# What a malformed request may get: a clear refusal, or success where any value is fine.
ACCEPTABLE = {
    grpc.StatusCode.OK,
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.FAILED_PRECONDITION,
}
INVALID, NOT_FOUND = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND


def call_raw(channel: grpc.Channel, method: str, payload: bytes) -> grpc.StatusCode:
    identity: Any = lambda data: data  # noqa: E731 - raw bytes in and out
    try:
        if method == STREAM:
            stream = channel.unary_stream(method, identity, identity)
            for _ in stream(payload, timeout=10):
                pass
        else:
            channel.unary_unary(method, identity, identity)(payload, timeout=10)
    except grpc.RpcError as exc:
        code: grpc.StatusCode = exc.code()
        return code
    return grpc.StatusCode.OK


def garbage_pipeline(rng: random.Random) -> str:
    """Text that is not a valid pipeline: junk, broken YAML, or a valid one mangled."""
    kind = rng.randrange(4)
    if kind == 0:
        return "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randrange(1, 300)))
    if kind == 1:
        return rng.choice(["nodes: [", "{{{", "omnix: 1\nname: X!\n", ": : :", "- - -\n\t"])
    if kind == 2:
        return python_pipeline().replace("needs: [n0]", f"needs: [{rng.choice(['n9', 'n1'])}]")
    return python_pipeline().replace("omnix: 1", f"omnix: {rng.randrange(2, 99)}")


def bad_field_cases(rng: random.Random) -> list[tuple[str, bytes, set[grpc.StatusCode]]]:
    """Well-formed protobuf with wrong contents, each with the code it must get."""
    run = "/omnix.v1.RunService/"
    pipe = "/omnix.v1.PipelineService/"
    sched = "/omnix.v1.ScheduleService/"
    text = garbage_pipeline(rng)
    start = run_pb2.StartRunRequest
    return [
        (run + "StartRun", start().SerializeToString(), {INVALID}),
        (run + "StartRun", start(pipeline_source=text).SerializeToString(), {INVALID}),
        (run + "StartRun", start(pipeline_name="no-such").SerializeToString(), {NOT_FOUND}),
        (
            run + "StartRun",
            start(pipeline_source=python_pipeline(), params={"n": "{not json"}).SerializeToString(),
            {INVALID},
        ),
        (
            pipe + "DeployPipeline",
            pipeline_pb2.DeployPipelineRequest().SerializeToString(),
            {INVALID},
        ),
        (
            pipe + "DeployPipeline",
            pipeline_pb2.DeployPipelineRequest(source=text).SerializeToString(),
            {INVALID},
        ),
        (pipe + "GetPipeline", pipeline_pb2.GetPipelineRequest().SerializeToString(), {INVALID}),
        (
            pipe + "DeletePipeline",
            pipeline_pb2.DeletePipelineRequest(
                name="x" * rng.randrange(1, 5000)
            ).SerializeToString(),
            {NOT_FOUND},
        ),
        (run + "GetRun", run_pb2.GetRunRequest(run_id="../../etc").SerializeToString(), {INVALID}),
        (run + "GetRun", run_pb2.GetRunRequest(run_id="z" * 500).SerializeToString(), {INVALID}),
        (run + "CancelRun", run_pb2.CancelRunRequest(run_id="").SerializeToString(), {INVALID}),
        (run + "ListRuns", run_pb2.ListRunsRequest(page_size=-5).SerializeToString(), {INVALID}),
        (STREAM, run_pb2.WatchRunRequest(run_id="nosuchrun").SerializeToString(), {NOT_FOUND}),
        (STREAM, run_pb2.WatchRunRequest().SerializeToString(), {INVALID}),
        (
            sched + "PreviewSchedule",
            schedule_pb2.PreviewScheduleRequest(pipeline_name="x", count=10**6).SerializeToString(),
            {INVALID},
        ),
        (
            sched + "PauseSchedule",
            schedule_pb2.PauseScheduleRequest().SerializeToString(),
            {INVALID},
        ),
        (
            sched + "ResumeSchedule",
            schedule_pb2.ResumeScheduleRequest(pipeline_name="nope").SerializeToString(),
            {NOT_FOUND},
        ),
    ]


def test_a_thousand_malformed_requests_get_explicit_codes_and_the_agent_survives(
    module_agent: RunningAgent,
) -> None:
    rng = random.Random(20261125)
    channel = module_agent.channel()
    seen: Counter[grpc.StatusCode] = Counter()
    wrong: list[str] = []
    total = 0
    while total < 1000:
        cases: list[tuple[str, bytes, set[grpc.StatusCode]]] = []
        cases += bad_field_cases(rng)
        for _ in range(30):  # random bytes: garbage or accidentally valid
            method = rng.choice([*UNARY, STREAM])
            payload = rng.randbytes(rng.randrange(1, 400))
            cases.append((method, payload, ACCEPTABLE))
        for method, payload, allowed in cases:
            code = call_raw(channel, method, payload)
            seen[code] += 1
            if code not in allowed:
                wrong.append(f"{method} {payload[:40]!r}: {code.name} not in {allowed}")
            total += 1
    for _ in range(3):  # oversize: beyond the 16 MiB limit
        code = call_raw(channel, "/omnix.v1.RunService/StartRun", b"\x12" + b"x" * (17 << 20))
        seen[code] += 1
        if code != grpc.StatusCode.RESOURCE_EXHAUSTED:
            wrong.append(f"oversize: {code.name}")
    assert not wrong, "\n".join(wrong[:20])
    assert grpc.StatusCode.UNKNOWN not in seen and grpc.StatusCode.INTERNAL not in seen
    assert module_agent.process.poll() is None
    health = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert "Traceback" not in (module_agent.state_dir / "agent.log").read_text()
