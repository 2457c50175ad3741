"""What a user reaches for once pipelines are deployed: list them, run one by name, pause,
resume and undeploy it, and look at one run in full."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.agent.agents import RunningAgent, environment

OMNIX = Path(sys.executable).with_name("omnix")

SCHEDULED = """\
omnix: 1
name: {name}
params:
  region: north
schedule:
  cron: "0 3 * * *"
nodes:
  - id: greet
    lang: python
    code: |
      print("hello", params["region"])
      "region " + params["region"]
"""


def omnix(agent: RunningAgent, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OMNIX), *args, "--agent", agent.address],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=60,
    )


def deploy(agent: RunningAgent, tmp_path: Path, name: str) -> None:
    path = tmp_path / f"{name}.yaml"
    path.write_text(SCHEDULED.format(name=name))
    deployed = omnix(agent, "deploy", str(path))
    assert deployed.returncode == 0, deployed.stderr


def listed(agent: RunningAgent, name: str) -> dict[str, object] | None:
    result = omnix(agent, "pipelines", "--json")
    assert result.returncode == 0, result.stderr
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return next((row for row in rows if row["name"] == name), None)


def test_pipelines_lists_version_schedule_next_fire_and_last_run(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    deploy(module_agent, tmp_path, "daytwolist")
    run = omnix(module_agent, "run", "daytwolist", "--json")
    row = listed(module_agent, "daytwolist")
    assert row is not None
    assert (row["version"], row["schedule"], row["paused"]) == (1, "cron 0 3 * * *", False)
    assert isinstance(row["next_fire_at"], float)
    assert row["last_status"] == "succeeded"
    assert row["last_run"] == json.loads(run.stdout)["run_id"]


def test_run_by_name_runs_the_deployed_pipeline_with_typed_params(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    deploy(module_agent, tmp_path, "daytworun")
    result = omnix(module_agent, "run", "daytworun", "--param", "region=south")
    assert result.returncode == 0, result.stderr
    assert "greet: region south" in result.stdout.splitlines()


def test_run_by_name_of_an_unknown_pipeline_is_not_found(module_agent: RunningAgent) -> None:
    result = omnix(module_agent, "run", "no-such-deployed")
    assert result.returncode == 2
    assert "no-such-deployed" in result.stderr and "NOT_FOUND" in result.stderr


def test_pause_and_resume_change_what_pipelines_shows(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    deploy(module_agent, tmp_path, "daytwopause")
    paused = omnix(module_agent, "pause", "daytwopause")
    assert paused.returncode == 0 and paused.stdout.strip() == "paused daytwopause"
    assert (listed(module_agent, "daytwopause") or {})["paused"] is True
    resumed = omnix(module_agent, "resume", "daytwopause")
    assert resumed.returncode == 0 and resumed.stdout.startswith("resumed daytwopause; next fire")
    assert (listed(module_agent, "daytwopause") or {})["paused"] is False


def test_undeploy_removes_the_pipeline_and_keeps_its_runs(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    deploy(module_agent, tmp_path, "daytwogone")
    run_id = json.loads(omnix(module_agent, "run", "daytwogone", "--json").stdout)["run_id"]
    removed = omnix(module_agent, "undeploy", "daytwogone")
    assert removed.returncode == 0 and removed.stdout.strip() == "undeployed daytwogone"
    assert listed(module_agent, "daytwogone") is None
    assert omnix(module_agent, "show", run_id[:12]).returncode == 0


def test_show_prints_one_run_in_full(module_agent: RunningAgent, tmp_path: Path) -> None:
    deploy(module_agent, tmp_path, "daytwoshow")
    run_id = json.loads(
        omnix(module_agent, "run", "daytwoshow", "--param", "region=east", "--json").stdout
    )["run_id"]
    result = omnix(module_agent, "show", run_id[:12], "--json", "--outputs")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["run_id"] == run_id and shown["pipeline"] == "daytwoshow"
    assert (shown["version"], shown["trigger"], shown["status"]) == (1, "manual", "succeeded")
    assert shown["params"] == {"region": "east"}
    assert shown["started_at"] <= shown["finished_at"]
    node = shown["nodes"]["greet"]
    assert (node["status"], node["attempts"], node["error"]) == ("succeeded", 1, None)
    assert 0 <= node["queue_wait_s"] < node["duration_s"] + 5
    assert node["output"] == "region east"
    text = omnix(module_agent, "show", run_id).stdout
    assert f"run {run_id}: succeeded" in text and "node greet: succeeded in" in text


DAILY = """\
omnix: 1
name: {name}
schedule:
  cron: "0 6 * * *"
  timezone: UTC
nodes:
  - {{id: a, lang: python, code: "1"}}
"""


def test_backfill_runs_each_fire_time_in_the_range_once(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    path = tmp_path / "daily.yaml"
    path.write_text(DAILY.format(name="daytwoback"))
    assert omnix(module_agent, "deploy", str(path)).returncode == 0
    first = omnix(
        module_agent, "backfill", "daytwoback", "--from", "2026-01-01T00:00+00:00",
        "--to", "2026-01-03T06:00+00:00",
    )  # fmt: skip
    assert first.returncode == 0, first.stderr
    queued = [line.split()[0] for line in first.stdout.splitlines()]
    assert len(queued) == 3 and "queued 3 run(s) of daytwoback" in first.stderr
    again = omnix(
        module_agent, "backfill", "daytwoback", "--from", "2026-01-02T00:00+00:00",
        "--to", "2026-01-04T06:00+00:00",
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert len(again.stdout.splitlines()) == 1  # only Jan 4th had no run yet
    assert "2 fire time(s) already had a run" in again.stderr
    shown = json.loads(omnix(module_agent, "show", queued[0], "--json").stdout)
    assert shown["trigger"] == "backfill"


def test_backfill_of_a_pipeline_without_a_schedule_says_so(
    module_agent: RunningAgent, tmp_path: Path
) -> None:
    path = tmp_path / "plain.yaml"
    path.write_text("omnix: 1\nname: daytwoplain\nnodes:\n  - {id: a, lang: python, code: '1'}\n")
    assert omnix(module_agent, "deploy", str(path)).returncode == 0
    result = omnix(
        module_agent, "backfill", "daytwoplain", "--from", "2026-01-01", "--to", "2026-01-02"
    )
    assert result.returncode == 2
    assert "has no schedule on this agent" in result.stderr


def test_runs_filters_by_status_and_since(module_agent: RunningAgent, tmp_path: Path) -> None:
    ok, bad = tmp_path / "ok.yaml", tmp_path / "bad.yaml"
    ok.write_text("omnix: 1\nname: daytwofilter\nnodes:\n  - {id: a, lang: python, code: '1'}\n")
    bad.write_text("omnix: 1\nname: daytwofilter\nnodes:\n  - {id: a, lang: python, code: '1/0'}\n")
    good = json.loads(omnix(module_agent, "run", str(ok), "--json").stdout)["run_id"]
    failed = json.loads(omnix(module_agent, "run", str(bad), "--json").stdout)["run_id"]
    result = omnix(module_agent, "runs", "daytwofilter", "--status", "failed", "--json")
    assert [run["run_id"] for run in json.loads(result.stdout)] == [failed]
    recent = omnix(module_agent, "runs", "daytwofilter", "--since", "10m", "--json")
    assert {run["run_id"] for run in json.loads(recent.stdout)} == {good, failed}
    future = omnix(module_agent, "runs", "daytwofilter", "--since", "2999-01-01", "--json")
    assert json.loads(future.stdout) == []
    none = omnix(module_agent, "runs", "daytwofilter", "--status", "cancelled")
    assert none.returncode == 0 and none.stdout == "" and "no runs match" in none.stderr
