"""`omnix-agent run`: the --json document, exit codes, and Ctrl-C leaving nothing behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

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
