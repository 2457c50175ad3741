"""Run parameters must be JSON values: the agent and `omnix run` refuse anything else clearly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from omnix.v1 import run_pb2

from tests.agent.agents import RunningAgent, environment

DATED = """\
omnix: 1
name: dated
params:
  day: 2026-01-01
nodes:
  - {id: a, lang: python, code: 'params["day"]'}
"""


def test_a_yaml_date_param_is_invalid_argument_with_its_line(module_agent: RunningAgent) -> None:
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().StartRun(
            run_pb2.StartRunRequest(pipeline_source=DATED, source_path="dated.yaml"), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "dated.yaml:4: param 'day' is a date" in str(raised.value.details())
    assert "quote it" in str(raised.value.details())


@pytest.mark.parametrize("text", ["NaN", "Infinity", "-Infinity"])
def test_a_non_json_number_override_is_invalid_argument(
    module_agent: RunningAgent, text: str
) -> None:
    source = DATED.replace("day: 2026-01-01", "day: '2026-01-01'")
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().StartRun(
            run_pb2.StartRunRequest(pipeline_source=source, params={"limit": text}), timeout=10
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert f"parameter 'limit': {text!r} is not JSON text" in str(raised.value.details())


def test_an_override_of_an_undeclared_parameter_is_invalid_argument_naming_the_known_ones(
    module_agent: RunningAgent,
) -> None:
    source = DATED.replace("day: 2026-01-01", "day: '2026-01-01'")
    with pytest.raises(grpc.RpcError) as raised:
        module_agent.runs().StartRun(
            run_pb2.StartRunRequest(pipeline_source=source, params={"dya": '"2026-02-02"'}),
            timeout=10,
        )
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "no parameter 'dya'; did you mean 'day'?" in str(raised.value.details())


def test_omnix_run_of_a_yaml_date_param_exits_2_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "dated.yaml"
    path.write_text(DATED)
    # No agent is needed: the client validates before it connects.
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "omnix"),
            "run",
            str(path),
            "--agent",
            "unix:/nonexistent",
        ],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2
    assert f"{path}:4: param 'day' is a date" in result.stderr
    assert "Traceback" not in result.stderr
