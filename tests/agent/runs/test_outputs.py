"""A run converts and keeps only the node outputs its client asked for."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from omnix.v1 import pipeline_pb2, run_pb2

from tests.agent.agents import AgentFactory, RunningAgent, python_pipeline

# n0 -> n1 and a separate n2: the final nodes are n1 and n2.
FORKED = python_pipeline("forked", nodes=2, code="21 * 2") + (
    "  - id: n2\n    lang: python\n    code: |\n      'alone'\n"
)


def outputs(agent: RunningAgent, request: run_pb2.StartRunRequest) -> dict[str, str]:
    started = agent.runs().StartRun(request, timeout=10)
    run = agent.wait_for_run(started.run.run_id)
    return {node.node_id: node.output_json for node in run.nodes}


@pytest.mark.parametrize(
    ("keep", "expected"),
    [
        (run_pb2.KEEP_OUTPUTS_UNSPECIFIED, {"n0": "", "n1": "42", "n2": '"alone"'}),
        (run_pb2.KEEP_OUTPUTS_FINAL, {"n0": "", "n1": "42", "n2": '"alone"'}),
        (run_pb2.KEEP_OUTPUTS_ALL, {"n0": "42", "n1": "42", "n2": '"alone"'}),
        (run_pb2.KEEP_OUTPUTS_NONE, {"n0": "", "n1": "", "n2": ""}),
    ],
)
def test_a_run_keeps_the_outputs_its_start_asked_for(
    module_agent: RunningAgent, keep: int, expected: dict[str, str]
) -> None:
    request = run_pb2.StartRunRequest(pipeline_source=FORKED, keep_outputs=keep)  # type: ignore[arg-type]
    assert outputs(module_agent, request) == expected


def test_a_scheduled_run_keeps_the_final_nodes_outputs(module_agent: RunningAgent) -> None:
    source = FORKED.replace("name: forked", "name: forkedsched").replace(
        "nodes:", "schedule:\n  every: 1s\nnodes:", 1
    )
    module_agent.pipelines().DeployPipeline(
        pipeline_pb2.DeployPipelineRequest(source=source), timeout=10
    )
    runs = module_agent.runs()
    deadline = time.monotonic() + 20
    fired: list[run_pb2.Run] = []
    try:
        while not fired and time.monotonic() < deadline:
            # No event announces a scheduled run to a client; poll the run list (bounded).
            listed = runs.ListRuns(run_pb2.ListRunsRequest(pipeline_name="forkedsched"), timeout=10)
            fired = [r for r in listed.runs if r.trigger == "schedule"]
            time.sleep(0.1)
    finally:  # The agent is shared: stop the ticking.
        module_agent.pipelines().DeletePipeline(
            pipeline_pb2.DeletePipelineRequest(name="forkedsched"), timeout=10
        )
    assert fired, "no scheduled run within 20 s"
    run = module_agent.wait_for_run(fired[-1].run_id)
    assert {n.node_id: n.output_json for n in run.nodes} == {"n0": "", "n1": "42", "n2": '"alone"'}


def test_a_run_queued_again_after_a_restart_keeps_what_it_asked_for(
    agent_factory: AgentFactory, short_tmp: Path
) -> None:
    config = short_tmp / "one.toml"
    config.write_text("max_concurrent_runs = 1\n")
    state = short_tmp / "requeue"
    agent = agent_factory(state, "--config", str(config))
    runs = agent.runs()
    blocker = runs.StartRun(
        run_pb2.StartRunRequest(
            pipeline_source=python_pipeline("blocker", nodes=1, code="import time; time.sleep(60)")
        ),
        timeout=10,
    )
    for message in runs.WatchRun(run_pb2.WatchRunRequest(run_id=blocker.run.run_id), timeout=30):
        if message.WhichOneof("event") == "node_state":
            break  # the only run slot is taken: the next run stays queued
    queued = runs.StartRun(
        run_pb2.StartRunRequest(pipeline_source=FORKED, keep_outputs=run_pb2.KEEP_OUTPUTS_ALL),
        timeout=10,
    )
    agent.kill()
    restarted = agent_factory(state, "--config", str(config))
    run = restarted.wait_for_run(queued.run.run_id)
    assert {n.node_id: n.output_json for n in run.nodes} == {
        "n0": "42",
        "n1": "42",
        "n2": '"alone"',
    }
