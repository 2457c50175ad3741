"""`omnix-agent run`: the --json document, exit codes, Ctrl-C leaving nothing behind, and
the run recorded and counted in the agent's store."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import AgentFactory

AGENT = [sys.executable, "-c", "from omnix.agent.cli import main; main()"]

PIPELINE = """
    omnix: 1
    name: cli-demo
    params: {min_amount: 6}
    nodes:
      - id: extract
        lang: python
        code: |
          import pandas as pd
          print("extracting")
          pd.DataFrame({"region": ["north", "south", "north"], "amount": [10, 20, 5]})
      - id: totals
        lang: sql
        needs: [extract]
        code: SELECT region, SUM(amount) AS total FROM extract WHERE amount >= $min_amount GROUP BY region ORDER BY region
"""


def run_agent(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*AGENT, "run", *args], capture_output=True, text=True, timeout=60)


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "pipeline.yaml"
    path.write_text(textwrap.dedent(text))
    return str(path)


def test_json_prints_exactly_the_run_document_on_stdout(tmp_path: Path) -> None:
    result = run_agent(write(tmp_path, PIPELINE), "--json", "--param", "min_amount=1")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert set(document) == {"run_id", "pipeline", "status", "nodes"}
    assert (document["pipeline"], document["status"]) == ("cli-demo", "succeeded")
    assert set(document["nodes"]["totals"]) == {
        "status",
        "attempts",
        "duration_s",
        "queue_wait_s",
        "output",
        "error",
    }
    assert document["nodes"]["totals"]["output"] == [
        {"region": "north", "total": 15},
        {"region": "south", "total": 20},
    ]
    assert "extracting" in result.stderr and "extracting" not in result.stdout


def test_a_failed_run_exits_one(tmp_path: Path) -> None:
    path = write(tmp_path, "omnix: 1\nname: f\nnodes:\n  - {id: a, lang: python, code: '1/0'}\n")
    result = run_agent(path)
    assert result.returncode == 1
    assert "ZeroDivisionError: division by zero" in result.stdout


def test_an_invalid_file_exits_two_with_file_line_messages(tmp_path: Path) -> None:
    path = write(
        tmp_path, "omnix: 1\nname: bad\nnodes:\n  - {id: a, lang: python, code: '1', needs: [b]}\n"
    )
    result = run_agent(path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"{path}:4: node 'a':")


def test_a_param_of_the_wrong_type_exits_two(tmp_path: Path) -> None:
    result = run_agent(write(tmp_path, PIPELINE), "--param", "min_amount=lots")
    assert result.returncode == 2
    assert "min_amount expects an integer" in result.stderr


def test_ctrl_c_cancels_the_run_and_leaves_no_process_behind(
    tmp_path: Path, wait_gone: Callable[[int], bool]
) -> None:
    pids = tmp_path / "pids"
    path = write(
        tmp_path,
        f"""
        omnix: 1
        name: interrupted
        nodes:
          - id: slow
            lang: python
            code: |
              import os, subprocess, time
              child = subprocess.Popen(["sleep", "60"])
              open({str(pids)!r}, "w").write(f"{{os.getpid()}} {{child.pid}}")
              print("started", flush=True)
              time.sleep(60)
        """,
    )
    process = subprocess.Popen(
        [*AGENT, "run", path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        for line in process.stdout:  # plain progress lines, since stdout is a pipe
            if "slow | started" in line:
                break
        os.kill(process.pid, signal.SIGINT)
        rest, _ = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert "slow cancelled" in rest
    worker, grandchild = map(int, pids.read_text().split())
    assert wait_gone(worker) and wait_gone(grandchild)


def test_a_yaml_date_param_exits_two_saying_to_quote_it(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "omnix: 1\nname: d\nparams:\n  day: 2026-01-01\nnodes:\n  - {id: a, lang: python, code: '1'}\n",
    )
    result = run_agent(path)
    assert result.returncode == 2
    assert "param 'day' is a date" in result.stderr


def test_an_in_process_run_is_recorded_in_the_agents_store(
    short_tmp: Path, agent_factory: AgentFactory
) -> None:
    state = short_tmp / "state"
    path = write(
        short_tmp, "omnix: 1\nname: recorded\nnodes:\n  - {id: a, lang: python, code: '6 * 7'}\n"
    )
    result = run_agent(path, "--json", "--state-dir", str(state))
    assert result.returncode == 0, result.stderr
    run_id = json.loads(result.stdout)["run_id"]
    agent = agent_factory(state)  # an agent serving that state dir lists it like its own
    run = agent.runs().GetRun(
        run_pb2.GetRunRequest(run_id=run_id, include_outputs=True), timeout=10
    )
    assert (run.run.pipeline, run.run.status) == ("recorded", status_pb2.RUN_STATUS_SUCCEEDED)
    assert json.loads(run.run.nodes[0].output_json) == 42


def test_an_in_process_run_counts_against_the_daily_executions(short_tmp: Path) -> None:
    state = short_tmp / "state"
    path = write(
        short_tmp, "omnix: 1\nname: counted\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
    )
    assert run_agent(path, "--state-dir", str(state)).returncode == 0  # creates the store
    with sqlite3.connect(state / "agent.db") as db:  # the Free tier's 100 of the day
        db.executemany(
            "INSERT INTO runs (run_id, pipeline, version, source, source_path, status,"
            " params_json, trigger, created_at) VALUES (?, 'p', 0, '', '', 'succeeded', '{}',"
            " 'manual', ?)",
            [(f"seeded{i}", time.time()) for i in range(99)],
        )
    refused = run_agent(path, "--state-dir", str(state))
    assert refused.returncode == 2
    assert "executions per day: 100 of 100 used on the Free tier" in refused.stderr
