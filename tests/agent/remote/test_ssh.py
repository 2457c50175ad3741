"""`ssh://` agent addresses through a real OpenSSH server on loopback: a run end to end,
and host keys that are unknown or changed refused with what to do."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.agent.agents import RunningAgent, environment
from tests.agent.remote.conftest import SshServer

OMNIX = Path(sys.executable).with_name("omnix")
AGENT_COMMAND = Path(sys.executable).with_name("omnix-agent")
PIPELINE = """\
omnix: 1
name: overssh
nodes:
  - id: extract
    lang: python
    code: |
      print("hello from the server")
      [{"n": 1}, {"n": 2}]
  - id: total
    lang: sql
    needs: [extract]
    code: SELECT SUM(n) AS total FROM extract
"""


def ssh_address(sshd: SshServer, agent: RunningAgent) -> str:
    socket = str(agent.address).removeprefix("unix:")
    return f"ssh://{sshd.user}@127.0.0.1:{sshd.port}{socket}?command={AGENT_COMMAND}"


def omnix(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(OMNIX), *args], capture_output=True, text=True, timeout=120,
        env=environment(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config")),
    )  # fmt: skip


def test_a_run_goes_through_ssh_to_the_agent_and_back(
    sshd: SshServer, ssh_home: Path, agent: RunningAgent, tmp_path: Path
) -> None:
    pipeline = tmp_path / "overssh.yaml"
    pipeline.write_text(PIPELINE)
    result = omnix(ssh_home, "run", str(pipeline), "--json", "--agent", ssh_address(sshd, agent))
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["status"] == "succeeded"
    assert document["nodes"]["total"]["output"] == [{"total": 3}]
    assert "hello from the server" in result.stderr


def test_an_unknown_host_key_is_refused_with_its_fingerprint_and_how_to_trust_it(
    sshd: SshServer, ssh_home: Path, agent: RunningAgent
) -> None:
    (ssh_home / ".ssh" / "known_hosts").write_text("")
    result = omnix(ssh_home, "runs", "--agent", ssh_address(sshd, agent))
    assert result.returncode != 0
    assert "is not in" in result.stderr and "known_hosts" in result.stderr
    assert "SHA256:" in result.stderr
    assert f"ssh-keyscan -p {sshd.port} 127.0.0.1 >> ~/.ssh/known_hosts" in result.stderr


def test_a_changed_host_key_is_refused_as_a_possible_interception(
    sshd: SshServer, ssh_home: Path, agent: RunningAgent, tmp_path: Path
) -> None:
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    kind, key = (tmp_path / "other_key.pub").read_text().split()[:2]
    (ssh_home / ".ssh" / "known_hosts").write_text(f"[127.0.0.1]:{sshd.port} {kind} {key}\n")
    result = omnix(ssh_home, "runs", "--agent", ssh_address(sshd, agent))
    assert result.returncode != 0
    assert "has CHANGED" in result.stderr and "intercepting" in result.stderr
    assert f"ssh-keygen -R '[127.0.0.1]:{sshd.port}'" in result.stderr


SLOW = """\
omnix: 1
name: sshslow
nodes:
  - id: slow
    lang: python
    code: |
      import time
      for i in range(6):
          print(f"tick {i}", flush=True)
          time.sleep(0.5)
      "done"
"""


def sessions_of(sshd: SshServer) -> list[int]:
    """The sshd processes serving connections (children of the listening one)."""
    master = int((sshd.root / "sshd.pid").read_text())
    found = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def test_a_link_killed_mid_run_is_made_again_and_the_run_followed_to_its_end(
    sshd: SshServer, ssh_home: Path, agent: RunningAgent, tmp_path: Path
) -> None:
    import os
    import signal

    pipeline = tmp_path / "slow.yaml"
    pipeline.write_text(SLOW)
    command = [str(OMNIX), "run", str(pipeline), "--json", "--agent", ssh_address(sshd, agent)]
    env = environment(HOME=str(ssh_home), XDG_CONFIG_HOME=str(ssh_home / ".config"))
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    assert process.stderr is not None
    for line in process.stderr:  # the run is under way once its first log line arrives
        if "tick 1" in line:
            break
    for pid in sessions_of(sshd):
        os.kill(pid, signal.SIGKILL)  # the connection drops, as when a laptop loses Wi-Fi
    rest = process.stderr.read()
    out = process.stdout.read() if process.stdout else ""
    assert process.wait(timeout=60) == 0, rest
    assert "reconnecting" in rest and "reconnected" in rest
    assert "tick 5" in rest
    assert json.loads(out)["nodes"]["slow"]["output"] == "done"
    assert rest.count("tick 3") == 1  # nothing shown twice


def test_named_remotes_are_used_by_name_and_listed_with_their_state(
    sshd: SshServer, ssh_home: Path, agent: RunningAgent
) -> None:
    config = ssh_home / ".config" / "omnix" / "client.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[remotes.prod]\nagent = "{ssh_address(sshd, agent)}"\n'
        '[remotes.gone]\nagent = "unix:/nonexistent/agent.sock"\n'
    )
    runs = omnix(ssh_home, "runs", "--remote", "prod")
    assert runs.returncode == 0, runs.stderr
    listed = omnix(ssh_home, "remotes", "--json")
    assert listed.returncode == 0, listed.stderr
    states = {state["name"]: state for state in json.loads(listed.stdout)}
    assert states["prod"]["reachable"] and states["prod"]["tier"] == "free"
    assert states["prod"]["version"]
    assert not states["gone"]["reachable"] and "no agent answers" in states["gone"]["problem"]
    unknown = omnix(ssh_home, "runs", "--remote", "staging")
    assert unknown.returncode != 0
    assert "no remote named 'staging'" in unknown.stderr and "remotes: gone, prod" in unknown.stderr
