"""The gRPC API of a real agent process: health, reflection, auth, status codes, streaming."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from omnix.v1 import agent_pb2, agent_pb2_grpc, pipeline_pb2, run_pb2, status_pb2

from tests.agent.agents import RunningAgent, python_pipeline


def test_health_says_serving_for_the_agent_and_each_service(module_agent: RunningAgent) -> None:
    stub = health_pb2_grpc.HealthStub(module_agent.channel())
    for service in ("", "omnix.v1.RunService", "omnix.v1.PipelineService"):
        reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_reflection_lists_every_omnix_service(module_agent: RunningAgent) -> None:
    services = set(ProtoReflectionDescriptorDatabase(module_agent.channel()).get_services())
    assert {
        "omnix.v1.PipelineService",
        "omnix.v1.RunService",
        "omnix.v1.ScheduleService",
        "omnix.v1.AgentService",
        "grpc.health.v1.Health",
    } <= services


def test_the_unix_socket_is_private_to_the_agents_user(module_agent: RunningAgent) -> None:
    assert module_agent.socket.stat().st_mode & 0o777 == 0o600
    assert (module_agent.state_dir / "admin.token").stat().st_mode & 0o777 == 0o600


def test_tcp_without_a_token_is_unauthenticated(module_agent: RunningAgent) -> None:
    stub = agent_pb2_grpc.AgentServiceStub(module_agent.channel(module_agent.tcp_address))
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetStatus(agent_pb2.GetStatusRequest(), timeout=5)
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_tcp_with_a_wrong_token_is_unauthenticated(module_agent: RunningAgent) -> None:
    stub = agent_pb2_grpc.AgentServiceStub(module_agent.channel(module_agent.tcp_address))
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetStatus(
            agent_pb2.GetStatusRequest(), timeout=5, metadata=[("authorization", "Bearer nope")]
        )
    assert raised.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_tcp_with_the_admin_token_is_served(module_agent: RunningAgent) -> None:
    stub = agent_pb2_grpc.AgentServiceStub(module_agent.channel(module_agent.tcp_address))
    reply = stub.GetStatus(
        agent_pb2.GetStatusRequest(),
        timeout=5,
        metadata=[("authorization", f"Bearer {module_agent.token}")],
    )
    assert reply.store.ok and module_agent.tcp_address in reply.listen_addresses


def test_tcp_health_needs_no_token(module_agent: RunningAgent) -> None:
    stub = health_pb2_grpc.HealthStub(module_agent.channel(module_agent.tcp_address))
    reply = stub.Check(health_pb2.HealthCheckRequest(), timeout=5)
    assert reply.status == health_pb2.HealthCheckResponse.SERVING


def test_every_deploy_is_a_new_version(module_agent: RunningAgent) -> None:
    stub = module_agent.pipelines()
    first = stub.DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=python_pipeline("versions", nodes=1)), timeout=10
    )
    second = stub.DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=python_pipeline("versions", nodes=2)), timeout=10
    )
    assert (first.version, second.version) == (1, 2)
    got = stub.GetPipeline(pipeline_pb2.GetPipelineRequest(name="versions"), timeout=10)
    assert [v.version for v in got.versions] == [1, 2]
    assert got.versions[0].source == python_pipeline("versions", nodes=1)
    listed = stub.ListPipelines(pipeline_pb2.ListPipelinesRequest(), timeout=10)
    assert ("versions", 2) in [(p.name, p.latest_version) for p in listed.pipelines]


def test_a_deleted_pipeline_is_not_found(module_agent: RunningAgent) -> None:
    stub = module_agent.pipelines()
    stub.DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=python_pipeline("gone")), timeout=10
    )
    stub.DeletePipeline(pipeline_pb2.DeletePipelineRequest(name="gone"), timeout=10)
    with pytest.raises(grpc.RpcError) as raised:
        stub.GetPipeline(pipeline_pb2.GetPipelineRequest(name="gone"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_an_invalid_pipeline_is_invalid_argument_with_its_problems(
    module_agent: RunningAgent,
) -> None:
    source = python_pipeline().replace("lang: python", "lang: cobol", 1)
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().StartRun(
            run_pb2.StartRunRequest(pipeline_source=source, source_path="p.yaml"), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    details = raised.value.details() or ""
    assert "p.yaml:" in details and "cobol" in details


def test_an_unknown_run_is_not_found(module_agent: RunningAgent) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().GetRun(run_pb2.GetRunRequest(run_id="abc123"), timeout=10)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_a_run_of_a_deployed_pipeline_records_its_version_and_outputs(
    module_agent: RunningAgent,
) -> None:
    module_agent.pipelines().DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=python_pipeline("deployed", code="21 * 2")),
        timeout=10,
    )
    started = module_agent.runs().StartRun(
        run_pb2.StartRunRequest(pipeline_name="deployed", keep_outputs=run_pb2.KEEP_OUTPUTS_ALL),
        timeout=10,
    )
    assert started.run.status == status_pb2.RUN_STATUS_QUEUED
    run = module_agent.wait_for_run(started.run.run_id)
    assert run.status == status_pb2.RUN_STATUS_SUCCEEDED and run.version == 1
    assert [(n.node_id, n.output_json) for n in run.nodes] == [("n0", "42"), ("n1", "42")]


def test_a_late_watch_run_subscriber_gets_the_full_history(module_agent: RunningAgent) -> None:
    started = module_agent.runs().StartRun(
        run_pb2.StartRunRequest(pipeline_source=python_pipeline(nodes=3)), timeout=10
    )
    module_agent.wait_for_run(started.run.run_id)
    events = list(
        module_agent.runs().WatchRun(run_pb2.WatchRunRequest(run_id=started.run.run_id), timeout=10)
    )
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    runs = [e.run_state.status for e in events if e.WhichOneof("event") == "run_state"]
    assert runs == [
        status_pb2.RUN_STATUS_QUEUED,
        status_pb2.RUN_STATUS_RUNNING,
        status_pb2.RUN_STATUS_SUCCEEDED,
    ]
    nodes = [
        (e.node_state.node_id, e.node_state.status)
        for e in events
        if e.WhichOneof("event") == "node_state"
    ]
    for node in ("n0", "n1", "n2"):
        assert (node, status_pb2.NODE_STATUS_RUNNING) in nodes
        assert (node, status_pb2.NODE_STATUS_SUCCEEDED) in nodes
    logs = [e.log.text for e in events if e.WhichOneof("event") == "log"]
    assert "".join(logs).split() == ["node", "0", "node", "1", "node", "2"]


def test_runs_are_listed_newest_first(module_agent: RunningAgent) -> None:
    ids = []
    for _ in range(3):
        reply = module_agent.runs().StartRun(
            run_pb2.StartRunRequest(pipeline_source=python_pipeline("listed", nodes=1)), timeout=10
        )
        ids.append(reply.run.run_id)
    for run_id in ids:
        module_agent.wait_for_run(run_id)
    listed = module_agent.runs().ListRuns(
        run_pb2.ListRunsRequest(pipeline_name="listed"), timeout=10
    )
    assert [r.run_id for r in listed.runs] == ids[::-1]
    assert all(not n.output_json for r in listed.runs for n in r.nodes)


def test_cancelling_a_running_run_records_it_cancelled(module_agent: RunningAgent) -> None:
    source = python_pipeline(nodes=1, code="import time; time.sleep(60)")
    started = module_agent.runs().StartRun(
        run_pb2.StartRunRequest(pipeline_source=source), timeout=10
    )
    stream = module_agent.runs().WatchRun(
        run_pb2.WatchRunRequest(run_id=started.run.run_id), timeout=30
    )
    for event in stream:  # Wait until the node really runs.
        if event.node_state.status == status_pb2.NODE_STATUS_RUNNING:
            break
    reply = module_agent.runs().CancelRun(
        run_pb2.CancelRunRequest(run_id=started.run.run_id), timeout=15
    )
    stream.cancel()
    assert reply.run.status == status_pb2.RUN_STATUS_CANCELLED
    assert reply.run.nodes[0].status == status_pb2.NODE_STATUS_CANCELLED


FILE_NODE = "omnix: 1\nname: {name}\nnodes:\n  - id: n0\n    lang: python\n    file: {file}\n"


def test_file_nodes_run_from_the_files_sent_with_the_pipeline(module_agent: RunningAgent) -> None:
    source = FILE_NODE.format(name="withfile", file="steps/answer.py")
    started = module_agent.runs().StartRun(
        run_pb2.StartRunRequest(pipeline_source=source, files={"steps/answer.py": "6 * 7\n"}),
        timeout=10,
    )
    run = module_agent.wait_for_run(started.run.run_id)
    assert run.status == status_pb2.RUN_STATUS_SUCCEEDED and run.nodes[0].output_json == "42"


def test_a_file_node_whose_file_was_not_sent_is_invalid(module_agent: RunningAgent) -> None:
    source = FILE_NODE.format(name="nofile", file="missing.py")
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().StartRun(run_pb2.StartRunRequest(pipeline_source=source), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "missing.py" in (raised.value.details() or "")


@pytest.mark.parametrize("path", ["/etc/hostname", "../outside.py"])
def test_a_file_node_never_reads_the_agents_disk(module_agent: RunningAgent, path: str) -> None:
    source = FILE_NODE.format(name="escape", file=path)
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().StartRun(run_pb2.StartRunRequest(pipeline_source=source), timeout=10)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_the_agent_process_never_maps_pandas_pyarrow_or_duckdb(module_agent: RunningAgent) -> None:
    started = module_agent.runs().StartRun(
        run_pb2.StartRunRequest(pipeline_source=python_pipeline("tables", code="[{'a': 1}]")),
        timeout=10,
    )
    assert module_agent.wait_for_run(started.run.run_id).status == status_pb2.RUN_STATUS_SUCCEEDED
    maps = Path(f"/proc/{module_agent.process.pid}/maps").read_text()
    assert [lib for lib in ("pandas", "pyarrow", "duckdb") if lib in maps] == []


def test_concurrent_runs_each_stream_a_gap_free_history_to_the_end(
    module_agent: RunningAgent,
) -> None:
    source = python_pipeline("concurrent", nodes=3)

    def run_and_watch(_: int) -> list[int]:
        runs = module_agent.runs()
        run_id = runs.StartRun(run_pb2.StartRunRequest(pipeline_source=source), timeout=10)
        stream = runs.WatchRun(run_pb2.WatchRunRequest(run_id=run_id.run.run_id), timeout=60)
        events = list(stream)
        assert events[-1].run_state.status == status_pb2.RUN_STATUS_SUCCEEDED
        return [event.sequence for event in events]

    with ThreadPoolExecutor(max_workers=8) as pool:
        sequences = list(pool.map(run_and_watch, range(16)))
    assert all(seq == list(range(1, len(seq) + 1)) for seq in sequences)
