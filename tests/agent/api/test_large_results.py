"""Outputs and logs of any size reach the client: streamed in parts, with no deadline on a
stream that is still moving."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from omnix.shared.client import AgentAddress, AgentClient
from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import RunningAgent, environment

OMNIX = Path(sys.executable).with_name("omnix")
BIG_OUTPUT_CHARS = 80 * 1024 * 1024
"""Above the agent's largest message (64 MiB): GetRun could not carry it."""


def test_omnix_run_json_prints_an_output_larger_than_any_message(
    agent: RunningAgent, tmp_path: Path
) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        "omnix: 1\nname: bigoutput\nnodes:\n"
        f"  - id: big\n    lang: python\n    code: '\"x\" * {BIG_OUTPUT_CHARS}'\n"
    )
    result = subprocess.run(
        [str(OMNIX), "run", str(path), "--json", "--agent", agent.address],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    document = json.loads(result.stdout)
    output = document["nodes"]["big"]["output"]
    assert len(output) == BIG_OUTPUT_CHARS and set(output) == {"x"}
    # One reply cannot carry it: GetRun says so and names the call that can.
    request = run_pb2.GetRunRequest(run_id=document["run_id"], include_outputs=True)
    with pytest.raises(grpc.RpcError) as raised:
        agent.runs().GetRun(request, timeout=30)
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert "read them with ReadOutputs" in (raised.value.details() or "")


def test_a_long_history_is_not_cut_by_the_call_deadline(module_agent: RunningAgent) -> None:
    source = (
        "omnix: 1\nname: longlog\nnodes:\n  - id: talker\n    lang: python\n    code: |\n"
        "      for i in range(100_000): print('line', i)\n"
    )
    run_id = (
        module_agent.runs()
        .StartRun(
            run_pb2.StartRunRequest(pipeline_source=source, source_path="/l.yaml"), timeout=10
        )
        .run.run_id
    )
    module_agent.wait_for_run(run_id, timeout_s=120)
    # A deadline far below the time the history takes to send: only silence may end it.
    with AgentClient(AgentAddress(module_agent.address), timeout_s=0.2) as client:
        text = "".join(
            message.log.text
            for message in client.watch(run_id, follow=False)
            if message.WhichOneof("event") == "log"
        )
    lines = text.splitlines()
    assert len(lines) == 100_000 and lines[-1] == "line 99999"


def test_read_outputs_streams_every_kept_output(module_agent: RunningAgent) -> None:
    source = (
        "omnix: 1\nname: keptoutputs\nnodes:\n"
        "  - {id: first, lang: python, code: '[1, 2]'}\n"
        "  - {id: second, lang: python, needs: [first], code: 'first + [3]'}\n"
    )
    request = run_pb2.StartRunRequest(
        pipeline_source=source, source_path="/k.yaml", keep_outputs=run_pb2.KEEP_OUTPUTS_ALL
    )
    run_id = module_agent.runs().StartRun(request, timeout=10).run.run_id
    assert module_agent.wait_for_run(run_id).status == status_pb2.RUN_STATUS_SUCCEEDED
    with AgentClient(AgentAddress(module_agent.address)) as client:
        every = {node: json.loads(text) for node, text in client.read_outputs(run_id).items()}
        assert every == {"first": [1, 2], "second": [1, 2, 3]}
        assert client.read_outputs(run_id[:12], ["second"]) == {"second": "[1,2,3]"}


def test_read_outputs_of_a_node_without_a_kept_output_is_not_found(
    module_agent: RunningAgent,
) -> None:
    source = "omnix: 1\nname: nokept\nnodes:\n  - {id: only, lang: python, code: '1'}\n"
    request = run_pb2.StartRunRequest(
        pipeline_source=source, source_path="/n.yaml", keep_outputs=run_pb2.KEEP_OUTPUTS_NONE
    )
    run_id = module_agent.runs().StartRun(request, timeout=10).run.run_id
    module_agent.wait_for_run(run_id)
    stream = module_agent.runs().ReadOutputs(
        run_pb2.ReadOutputsRequest(run_id=run_id, node_ids=["only"]), timeout=10
    )
    with pytest.raises(grpc.RpcError) as raised:
        list(stream)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    assert "no kept output for node 'only'" in (raised.value.details() or "")


def test_the_head_of_a_large_output_is_read_without_the_rest(module_agent: RunningAgent) -> None:
    # 200k rows whose names hold a two-byte character: cuts fall inside characters too.
    source = (
        "omnix: 1\nname: bighead\nnodes:\n  - id: rows\n    lang: python\n    code: |\n"
        "      import pandas as pd\n"
        "      pd.DataFrame({'n': range(200_000), 'name': ['é' * 7] * 200_000})\n"
    )
    request = run_pb2.StartRunRequest(pipeline_source=source, source_path="/h.yaml")
    run_id = module_agent.runs().StartRun(request, timeout=10).run.run_id
    run = module_agent.wait_for_run(run_id, timeout_s=120, with_outputs=False)
    assert run.status == status_pb2.RUN_STATUS_SUCCEEDED
    with AgentClient(AgentAddress(module_agent.address)) as client:
        head = client.read_output_head(run_id, "rows", limit_bytes=100_000)
        whole = client.read_outputs(run_id, ["rows"])["rows"]
    assert not head.complete and head.total_bytes == len(whole.encode())
    assert 100_000 <= len(head.text.encode()) < head.total_bytes // 4
    assert whole.startswith(head.text)
