"""The `omnix` client verbs and the `omnix-agent` tools, as a user runs them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from omnix.shared.pipeline import parse_pipeline
from omnix.v1 import run_pb2, status_pb2

from tests.agent.agents import RunningAgent, environment, python_pipeline, wait_serving

BIN = Path(sys.executable).parent


def cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 60, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    program, *rest = args
    return subprocess.run(
        [str(BIN / program), *rest],
        capture_output=True,
        text=True,
        env=env or environment(),
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
    )


@pytest.fixture
def pipeline_file(tmp_path: Path) -> Path:
    path = tmp_path / "demo.yaml"
    path.write_text(python_pipeline("clidemo", nodes=2, code="[{'x': 1}, {'x': 2}]"))
    return path


@pytest.fixture
def home(short_tmp: Path) -> Iterator[Path]:
    """A HOME whose default agent is ours to stop (killed at teardown if a test did not)."""
    yield short_tmp
    pid_file = short_tmp / ".local/share/omnix/agent.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def test_omnix_run_starts_a_local_agent_when_none_runs_and_stop_stops_it(
    home: Path, pipeline_file: Path
) -> None:
    # `omnix run` auto-starts the agent and `omnix-agent stop` finds it by the same rule.
    env = environment(HOME=str(home), OMNIX_STATE_DIR=str(home / ".local/share/omnix"))
    result = cli("omnix", "run", str(pipeline_file), "--json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded"
    state_dir = home / ".local/share/omnix"
    pid = int((state_dir / "agent.pid").read_text())
    wait_serving(f"unix:{state_dir / 'agent.sock'}", _Alive(pid), state_dir / "agent.log")

    again = cli("omnix", "run", str(pipeline_file), "--json", env=env)  # reuses that agent
    assert again.returncode == 0 and int((state_dir / "agent.pid").read_text()) == pid

    stopped = cli("omnix-agent", "stop", env=env)
    assert stopped.returncode == 0, stopped.stderr
    assert _exited(pid)
    assert not (state_dir / "agent.sock").exists()


def _exited(pid: int) -> bool:
    """Gone, or a zombie waiting for init (which reaps the auto-started agent, not us)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


class _Alive:
    """Enough of Popen for `wait_serving` to watch a process that is not our child."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return None if Path(f"/proc/{self.pid}").exists() else -1


def test_omnix_run_prints_the_same_document_as_omnix_agent_run(
    module_agent: RunningAgent, pipeline_file: Path
) -> None:
    remote = cli("omnix", "run", str(pipeline_file), "--json", "--agent", module_agent.address)
    local = cli("omnix-agent", "run", str(pipeline_file), "--json")
    assert remote.returncode == local.returncode == 0, remote.stderr + local.stderr

    def comparable(text: str) -> dict[str, object]:
        document: dict[str, Any] = json.loads(text)
        document.pop("run_id")
        for node in document["nodes"].values():
            node.pop("duration_s"), node.pop("queue_wait_s")
        return document

    assert comparable(remote.stdout) == comparable(local.stdout)
    assert "n0" in remote.stderr  # live progress goes to stderr with --json


def test_omnix_run_of_an_invalid_file_exits_2_with_file_and_line(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(python_pipeline().replace("lang: python", "lang: cobol", 1))
    result = cli("omnix", "run", str(bad), "--agent", module_agent.address)
    assert result.returncode == 2
    assert f"{bad}:" in result.stderr and "cobol" in result.stderr


def test_omnix_run_json_carries_the_final_outputs_unless_asked_for_all(
    module_agent: RunningAgent, pipeline_file: Path
) -> None:
    final = cli("omnix", "run", str(pipeline_file), "--json", "--agent", module_agent.address)
    every = cli(
        "omnix", "run", str(pipeline_file), "--json", "--outputs", "all",
        "--agent", module_agent.address,
    )  # fmt: skip
    assert final.returncode == every.returncode == 0, final.stderr + every.stderr
    shown = json.loads(final.stdout)["nodes"]
    assert shown["n0"]["output"] is None and shown["n1"]["output"] == [{"x": 1}, {"x": 2}]
    assert json.loads(every.stdout)["nodes"]["n0"]["output"] == [{"x": 1}, {"x": 2}]


def test_omnix_run_output_keeps_just_the_named_node(
    module_agent: RunningAgent, pipeline_file: Path
) -> None:
    result = cli(
        "omnix", "run", str(pipeline_file), "--json", "--output", "n0",
        "--agent", module_agent.address,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)["nodes"]
    assert shown["n0"]["output"] == [{"x": 1}, {"x": 2}] and shown["n1"]["output"] is None
    plain = cli(
        "omnix", "run", str(pipeline_file), "--output", "n0", "--agent", module_agent.address
    )
    assert plain.stdout.splitlines()[-1] == 'n0: [{"x": 1}, {"x": 2}]', plain.stdout


def test_an_output_of_no_such_node_exits_2_naming_the_nodes(
    module_agent: RunningAgent, pipeline_file: Path
) -> None:
    result = cli(
        "omnix", "run", str(pipeline_file), "--output", "n9", "--agent", module_agent.address
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'n9': no such node" in result.stderr and "n0, n1" in result.stderr


def test_an_output_of_no_such_node_of_a_deployed_pipeline_is_refused_by_the_agent(
    module_agent: RunningAgent, pipeline_file: Path
) -> None:
    deployed = cli("omnix", "deploy", str(pipeline_file), "--agent", module_agent.address)
    assert deployed.returncode == 0, deployed.stderr
    name = parse_pipeline(pipeline_file.read_text()).name
    result = cli("omnix", "run", name, "--output", "n9", "--agent", module_agent.address)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "'n9': no such node" in result.stderr


def test_omnix_agent_run_output_prints_the_named_node(pipeline_file: Path) -> None:
    result = cli("omnix-agent", "run", str(pipeline_file), "--output", "n0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == 'n0: [{"x": 1}, {"x": 2}]', result.stdout


def test_a_missing_file_is_named_without_a_line_number(module_agent: RunningAgent) -> None:
    result = cli("omnix", "run", "no-such-pipeline.yaml", "--agent", module_agent.address)
    assert result.returncode == 2
    assert result.stderr.strip() == "no-such-pipeline.yaml: no such file"


READS_ITS_FOLDER = """\
omnix: 1
name: {name}
nodes:
  - id: reader
    lang: python
    code: |
      open("data.txt").read()
"""


def project(tmp_path: Path, name: str) -> Path:
    """`tmp_path/proj/pipeline.yaml`, whose node reads `data.txt` next to it."""
    folder = tmp_path / "proj"
    folder.mkdir()
    (folder / "data.txt").write_text("from the pipeline's folder")
    (folder / "pipeline.yaml").write_text(READS_ITS_FOLDER.format(name=name))
    return folder


def test_omnix_run_of_a_relative_path_runs_nodes_in_the_files_folder(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    project(tmp_path, "relrun")  # the agent's working directory is elsewhere
    result = cli(
        "omnix", "run", "proj/pipeline.yaml", "--json", "--agent", module_agent.address,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["nodes"]["reader"]["output"] == "from the pipeline's folder"


def test_a_pipeline_deployed_by_a_relative_path_runs_in_its_folder(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    project(tmp_path, "reldeploy")
    deployed = cli(
        "omnix", "deploy", "proj/pipeline.yaml", "--agent", module_agent.address, cwd=tmp_path
    )
    assert deployed.returncode == 0, deployed.stderr
    run_id = (
        module_agent.runs()
        .StartRun(run_pb2.StartRunRequest(pipeline_name="reldeploy"), timeout=10)
        .run.run_id
    )
    run = module_agent.wait_for_run(run_id)
    assert run.status == status_pb2.RUN_STATUS_SUCCEEDED, run
    assert json.loads(run.nodes[0].output_json) == "from the pipeline's folder"


def test_omnix_agent_run_of_a_relative_path_runs_nodes_in_the_files_folder(
    tmp_path: Path,
) -> None:
    project(tmp_path, "relinproc")
    result = cli("omnix-agent", "run", "proj/pipeline.yaml", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["nodes"]["reader"]["output"] == "from the pipeline's folder"


def test_omnix_run_exits_1_when_a_node_fails(module_agent: RunningAgent, tmp_path: Path) -> None:
    failing = tmp_path / "fail.yaml"
    failing.write_text(python_pipeline("failing", nodes=1, code="raise ValueError('boom')"))
    result = cli("omnix", "run", str(failing), "--json", "--agent", module_agent.address)
    assert result.returncode == 1
    assert "boom" in json.loads(result.stdout)["nodes"]["n0"]["error"]


def test_an_unreachable_named_agent_is_one_line_and_exit_3(
    short_tmp: Path, pipeline_file: Path
) -> None:
    address = f"unix:{short_tmp}/nobody.sock"
    result = cli("omnix", "run", str(pipeline_file), "--agent", address)
    assert result.returncode == 3
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and address in lines[0] and "Traceback" not in result.stderr


def test_omnix_run_exits_3_when_the_agent_dies_mid_run(agent: RunningAgent, tmp_path: Path) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(python_pipeline("dies", nodes=1, code="import time; time.sleep(60)"))
    client = subprocess.Popen(
        [str(BIN / "omnix"), "run", str(path), "--agent", agent.address],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        runs = agent.runs()
        while not runs.ListRuns(run_pb2.ListRunsRequest(), timeout=10).runs:
            time.sleep(0.05)  # no event tells this test the client's StartRun arrived
        agent.process.kill()
        agent.process.wait(timeout=10)
        _, stderr = client.communicate(timeout=30)
    finally:
        client.kill()
    assert client.returncode == 3, stderr
    assert "Traceback" not in stderr and agent.address in stderr


def test_omnix_runs_of_an_unknown_pipeline_says_so(module_agent: RunningAgent) -> None:
    result = cli("omnix", "runs", "no-such-pipeline", "--agent", module_agent.address)
    assert result.returncode == 2
    assert "no runs of a pipeline named 'no-such-pipeline'" in result.stderr


def test_omnix_runs_refuses_a_limit_below_one_in_its_own_words(module_agent: RunningAgent) -> None:
    result = cli("omnix", "runs", "--limit", "-1", "--agent", module_agent.address)
    assert result.returncode == 2
    assert "Invalid value for '--limit': -1 is not in the range 1<=x<=1000" in result.stderr
    assert "page_size" not in result.stderr


def test_omnix_runs_lists_documents_newest_first_without_outputs(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    path = tmp_path / "listed.yaml"
    path.write_text(python_pipeline("clilisted", nodes=1))
    ids = []
    for _ in range(2):
        run = cli("omnix", "run", str(path), "--json", "--agent", module_agent.address)
        ids.append(json.loads(run.stdout)["run_id"])
    result = cli("omnix", "runs", "clilisted", "--json", "--agent", module_agent.address)
    documents = json.loads(result.stdout)
    assert [d["run_id"] for d in documents] == ids[::-1]
    assert all("output" not in node for d in documents for node in d["nodes"].values())


def test_omnix_logs_prints_each_nodes_output_lines(
    module_agent: RunningAgent, pipeline_file: Path
) -> None:
    run = cli("omnix", "run", str(pipeline_file), "--json", "--agent", module_agent.address)
    run_id = json.loads(run.stdout)["run_id"]
    result = cli("omnix", "logs", run_id, "--agent", module_agent.address)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "n0 | node 0",
        "n1 | node 1",
        f"-- run {run_id[:12]} succeeded",
    ]


def test_omnix_logs_ends_with_each_failed_nodes_error(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    failing = tmp_path / "fails.yaml"
    failing.write_text(python_pipeline("logsfail", nodes=1, code="raise ValueError('no rows')"))
    run = cli("omnix", "run", str(failing), "--json", "--agent", module_agent.address)
    run_id = json.loads(run.stdout)["run_id"]
    result = cli("omnix", "logs", run_id, "--agent", module_agent.address)
    assert result.returncode == 0  # showing a failed run's logs worked
    lines = result.stdout.splitlines()
    assert lines[0] == "n0 | node 0"
    assert lines[1] == f"-- run {run_id[:12]} failed (failed: n0)"
    assert lines[2] == "-- n0 failed: ValueError: no rows"
    assert "   Traceback (most recent call last):" in lines[3:]


def test_omnix_logs_follow_exits_1_when_the_run_fails(module_agent: RunningAgent) -> None:
    run_id = _start_running(module_agent, "followfail", "raise RuntimeError('late failure')")
    result = cli("omnix", "logs", run_id, "--follow", "--agent", module_agent.address)
    assert result.returncode == 1
    assert "-- n0 failed: RuntimeError: late failure" in result.stdout.splitlines()


def test_omnix_deploy_reports_the_new_version(module_agent: RunningAgent, tmp_path: Path) -> None:
    path = tmp_path / "deployed.yaml"
    path.write_text(python_pipeline("clideployed"))
    first = cli("omnix", "deploy", str(path), "--agent", module_agent.address)
    second = cli("omnix", "deploy", str(path), "--agent", module_agent.address)
    assert first.stdout.strip() == "deployed clideployed version 1"
    assert second.stdout.strip() == "deployed clideployed version 2"


def test_status_is_ok_with_nagios_first_line_and_perfdata(module_agent: RunningAgent) -> None:
    result = cli("omnix-agent", "status", "--state-dir", str(module_agent.state_dir))
    assert result.returncode == 0, result.stdout
    first = result.stdout.splitlines()[0]
    assert first.startswith("OMNIX OK - ") and " | running=" in first


def test_status_json_reports_store_and_listeners(module_agent: RunningAgent) -> None:
    result = cli("omnix-agent", "status", "--address", module_agent.address, "--json")
    document = json.loads(result.stdout)
    assert result.returncode == 0 and document["status"] == "OK"
    assert document["store"]["ok"] and module_agent.tcp_address in document["listen_addresses"]


def test_status_lists_each_language_with_its_version_license_and_problem(
    module_agent: RunningAgent, require_binary: Callable[[str, str], str]
) -> None:
    require_binary("Rscript", "apt-get install r-base-core")
    result = cli("omnix-agent", "status", "--address", module_agent.address, "--json")
    languages = {item["language"]: item for item in json.loads(result.stdout)["languages"]}
    assert set(languages) >= {"python", "sql", "javascript", "r", "go", "scala", "julia"}
    assert languages["python"]["licensed"] and languages["python"]["version"]
    # Free: R is there but needs Team; Julia is not installed on this machine.
    assert languages["r"]["version"] and not languages["r"]["licensed"]
    assert languages["r"]["tier_needed"] == "team"
    assert "julialang.org" in languages["julia"]["problem"]
    text = cli("omnix-agent", "status", "--address", module_agent.address).stdout
    assert f"r {languages['r']['version']} (needs team)" in text
    assert "cannot run: julia - julia not found" in text


def test_a_language_outside_the_license_is_refused_before_its_missing_runtime(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    path = tmp_path / "fit.yaml"
    path.write_text("omnix: 1\nname: clifit\nnodes:\n  - {id: fit, lang: julia, code: '1'}\n")
    result = cli("omnix", "run", str(path), "--agent", module_agent.address)
    assert result.returncode == 2, result.stderr
    assert (
        "node 'fit' uses julia, which the Free tier does not run; Team runs julia" in result.stderr
    )
    assert "not found" not in result.stderr


def test_status_is_warning_exit_1_when_the_queue_reaches_the_threshold(
    module_agent: RunningAgent,
) -> None:
    result = cli("omnix-agent", "status", "--address", module_agent.address, "--warn-queued", "0")
    assert result.returncode == 1
    assert result.stdout.startswith("OMNIX WARNING - 0 runs queued |")


def test_status_is_unknown_exit_3_when_the_agent_refuses_it(
    module_agent: RunningAgent, short_tmp: Path
) -> None:
    # TCP without a token (an empty state dir has none): the agent answers, but refuses.
    address = module_agent.tcp_address
    result = cli("omnix-agent", "status", "--address", address, "--state-dir", str(short_tmp))
    assert result.returncode == 3
    assert result.stdout.startswith("OMNIX UNKNOWN - ")


def test_status_of_an_unreachable_agent_is_critical_exit_2(short_tmp: Path) -> None:
    result = cli("omnix-agent", "status", "--state-dir", str(short_tmp), "--nagios")
    assert result.returncode == 2
    assert result.stdout.startswith("OMNIX CRITICAL - no agent answers at unix:")


def test_init_creates_a_private_token_and_a_documented_config(short_tmp: Path) -> None:
    state = short_tmp / "state"
    result = cli("omnix-agent", "init", "--state-dir", str(state))
    assert result.returncode == 0, result.stderr
    assert (state / "admin.token").stat().st_mode & 0o777 == 0o600
    assert "# max_concurrent_runs = 4" in (state / "agent.toml").read_text()


def test_serve_refuses_plaintext_tcp_beyond_loopback(short_tmp: Path) -> None:
    result = cli("omnix-agent", "serve", "--state-dir", str(short_tmp), "--listen", "0.0.0.0:0")
    assert result.returncode == 2 and "not loopback" in result.stderr


def _start_running(agent: RunningAgent, name: str, code: str) -> str:
    """Start a one-node run over gRPC; return its id once the node is running."""
    runs = agent.runs()
    source = python_pipeline(name, nodes=1, code=code)
    run_id: str = runs.StartRun(
        run_pb2.StartRunRequest(pipeline_source=source), timeout=10
    ).run.run_id
    stream = runs.WatchRun(run_pb2.WatchRunRequest(run_id=run_id), timeout=30)
    for event in stream:
        if event.node_state.status == status_pb2.NODE_STATUS_RUNNING:
            stream.cancel()
            break
    return run_id


def test_omnix_logs_follow_prints_a_live_run_until_it_ends(module_agent: RunningAgent) -> None:
    code = "import time, sys\n      time.sleep(1)\n      print('late line'); sys.stdout.flush()"
    run_id = _start_running(module_agent, "followed", code)
    result = cli("omnix", "logs", run_id, "--follow", "--agent", module_agent.address)
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        "n0 | node 0",
        "n0 | late line",
        f"-- run {run_id[:12]} succeeded",
    ]


def test_omnix_cancel_cancels_a_running_run(module_agent: RunningAgent) -> None:
    run_id = _start_running(module_agent, "cancelled", "import time; time.sleep(60)")
    result = cli("omnix", "cancel", run_id, "--agent", module_agent.address)
    assert result.returncode == 0
    assert result.stdout.strip() == f"run {run_id}: cancelled (cancelled by user)"


def test_omnix_run_sends_the_files_of_file_nodes(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    (tmp_path / "steps").mkdir()
    (tmp_path / "steps" / "answer.py").write_text("print('from a file')\n40 + 2\n")
    path = tmp_path / "filed.yaml"
    path.write_text(
        "omnix: 1\nname: filed\nnodes:\n  - id: n0\n    lang: python\n    file: steps/answer.py\n"
    )
    result = cli("omnix", "run", str(path), "--json", "--agent", module_agent.address)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["nodes"]["n0"]["output"] == 42


def test_ctrl_c_on_omnix_run_cancels_the_run_on_the_agent_and_exits_130(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    path = tmp_path / "slow.yaml"
    path.write_text(python_pipeline("interrupted", nodes=1, code="import time; time.sleep(60)"))
    process = subprocess.Popen(
        [str(BIN / "omnix"), "run", str(path), "--agent", module_agent.address],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=environment(),
    )
    assert process.stdout is not None
    for line in process.stdout:  # progress is line by line when piped
        if "node 0" in line:  # the node's own output: it is running
            break
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "cancelled by user" in rest
