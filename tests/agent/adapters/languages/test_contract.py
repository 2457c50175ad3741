"""The node contract (ARCHITECTURE §3) in R, Go and Scala: params and upstream values in
scope, the last value is the output, logs line by line, errors at the node's own line
numbers, timeouts that kill the runtime."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from omnix.agent.runs.engine import Engine
from omnix.shared.events import NodeLog, RunEvent
from omnix.shared.pipeline import Pipeline
from omnix.shared.status import NodeStatus, RunStatus

from tests.agent.adapters.languages.conftest import SNIPPETS, node_yaml

pytestmark = pytest.mark.asyncio(loop_scope="module")
Make = Callable[[str], Pipeline]


def pipeline_text(*nodes: str, params: str = "") -> str:
    return "omnix: 1\nname: contract\n" + params + "nodes:\n" + "".join(nodes)


async def test_params_and_upstream_json_are_in_scope(
    engine: Engine, make_pipeline: Make, language: str
) -> None:
    text = pipeline_text(
        node_yaml("cfg", "python", '{"big": 9007199254740993, "tags": ["a", "ü"]}'),
        node_yaml("out", language, SNIPPETS[language].params_and_json, needs="cfg"),
        params="params:\n  n: 41\n",
    )
    document = await engine.run(make_pipeline(text))
    assert document.status is RunStatus.SUCCEEDED, document.dumps()
    output = document.nodes["out"].output
    assert isinstance(output, dict)
    assert output["n"] == 42
    # R reads an integer beyond 2^53 in a JSON value as a string (jsonlite's bigint_as_char):
    # never as a rounded double.
    big = "9007199254740993" if language == "r" else 9007199254740993
    assert output["cfg"] == {"big": big, "tags": ["a", "ü"]}


async def test_stdout_and_stderr_reach_the_log_line_by_line(
    engine: Engine, make_pipeline: Make, language: str
) -> None:
    logs: list[tuple[str, str]] = []

    def on_event(event: RunEvent) -> None:
        if isinstance(event, NodeLog):
            logs.extend((event.stream, line) for line in event.text.splitlines())

    text = pipeline_text(node_yaml("talk", language, SNIPPETS[language].logs))
    document = await engine.run(make_pipeline(text), on_event=on_event)
    assert document.nodes["talk"].output == 1, document.dumps()
    stdout = [line for stream, line in logs if stream == "stdout"]
    assert [line.strip('[1] "') for line in stdout] == ["one", "two"]
    assert ("stderr", "three") in logs


async def test_a_run_time_error_names_the_line_of_the_node(
    engine: Engine, make_pipeline: Make, language: str
) -> None:
    text = pipeline_text(node_yaml("bad", language, SNIPPETS[language].error_on_line_3))
    document = await engine.run(make_pipeline(text))
    result = document.nodes["bad"]
    assert result.status is NodeStatus.FAILED
    assert "boom on three" in (result.error or "")
    if language != "go":  # a Go error value has no line; a panic does (see test_go.py)
        assert "line 3" in (result.error or "")


async def test_a_compile_error_names_the_line_of_the_node(
    engine: Engine, make_pipeline: Make, language: str
) -> None:
    text = pipeline_text(node_yaml("bad", language, SNIPPETS[language].compile_error_on_line_3))
    document = await engine.run(make_pipeline(text))
    result = document.nodes["bad"]
    assert result.status is NodeStatus.FAILED
    assert "line 3:" in (result.error or "").splitlines()[-1]


async def test_a_timeout_kills_the_runtime_and_the_next_node_runs(
    engine: Engine,
    make_pipeline: Make,
    language: str,
    tmp_path: Path,
    wait_gone: Callable[[int], bool],
) -> None:
    pid_file = tmp_path / "pid"
    # Scala's allowance covers a fresh JVM (this test's folder is new) compiling the node.
    timeout = 10 if language == "scala" else 2
    text = pipeline_text(
        node_yaml(
            "slow", language, SNIPPETS[language].sleeps, extra=f"            timeout: {timeout}\n"
        ),
        params=f"params:\n  path: {pid_file}\n",
    )
    document = await engine.run(make_pipeline(text))
    result = document.nodes["slow"]
    assert result.status is NodeStatus.FAILED
    assert "timeout" in (result.error or "")
    assert wait_gone(int(pid_file.read_text().strip()))
    again = await engine.run(
        make_pipeline(pipeline_text(node_yaml("n", language, SNIPPETS[language].logs)))
    )
    assert again.nodes["n"].output == 1, again.dumps()
