"""The command lines against a real agent process on TCP: a password set over the socket,
`omnix login` keeping its session in a 0600 file, API tokens shown once, logout ending the
session on the agent."""

from __future__ import annotations

import json
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

from tests.agent.agents import RunningAgent, environment

BIN = Path(sys.executable).parent
PASSWORD = "a long enough password"


def run(
    program: str, *args: str, stdin: str = "", config: Path, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / program), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment(XDG_CONFIG_HOME=str(config), **env),
        timeout=60,
    )


def owner_with_password(agent: RunningAgent, config: Path) -> str:
    listed = run(
        "omnix-agent", "user", "list", "--json", "--state-dir", str(agent.state_dir), config=config
    )
    assert listed.returncode == 0, listed.stderr
    (owner,) = json.loads(listed.stdout)
    changed = run(
        "omnix-agent",
        "user",
        "password",
        owner["name"],
        "--state-dir",
        str(agent.state_dir),
        stdin=PASSWORD + "\n",
        config=config,
    )
    assert changed.returncode == 0, changed.stderr
    return str(owner["name"])


def test_login_keeps_a_private_session_that_later_commands_use(
    tcp_agent: RunningAgent, tmp_path: Path
) -> None:
    owner = owner_with_password(tcp_agent, tmp_path)
    address = tcp_agent.tcp_address
    logged = run(
        "omnix", "login", "-u", owner, "--agent", address, stdin=PASSWORD + "\n", config=tmp_path
    )
    assert logged.returncode == 0, logged.stderr
    assert "omxs_" not in logged.stdout + logged.stderr  # nothing secret is printed
    credentials = tmp_path / "omnix" / "credentials.toml"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    who = run("omnix", "whoami", "--json", "--agent", address, config=tmp_path)
    assert who.returncode == 0, who.stderr
    assert json.loads(who.stdout)["via"] == "session"
    out = run("omnix", "logout", "--agent", address, config=tmp_path)
    assert out.returncode == 0, out.stderr
    after = run("omnix", "whoami", "--agent", address, config=tmp_path)
    assert after.returncode != 0
    assert "UNAUTHENTICATED" in after.stderr


def test_a_wrong_password_is_refused_and_stores_nothing(
    tcp_agent: RunningAgent, tmp_path: Path
) -> None:
    owner = owner_with_password(tcp_agent, tmp_path)
    logged = run(
        "omnix",
        "login",
        "-u",
        owner,
        "--agent",
        tcp_agent.tcp_address,
        stdin="wrong password\n",
        config=tmp_path,
    )
    assert logged.returncode == 2
    assert "wrong user name or password" in logged.stderr
    assert not (tmp_path / "omnix" / "credentials.toml").exists()


def test_an_api_token_is_shown_once_stored_as_a_hash_and_revocable(
    tcp_agent: RunningAgent, tmp_path: Path
) -> None:
    created = run(
        "omnix",
        "token",
        "create",
        "--name",
        "ci",
        "--role",
        "viewer",
        "--expires",
        "30d",
        "--agent",
        tcp_agent.address,
        config=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("omx_")
    database = sqlite3.connect(tcp_agent.state_dir / "agent.db")
    stored = database.execute("SELECT sha256, role, expires_at FROM credentials").fetchall()
    database.close()
    assert len(stored) == 1 and stored[0][1] == "viewer" and stored[0][2] is not None
    assert token.encode() not in (tcp_agent.state_dir / "agent.db").read_bytes()
    who = run(
        "omnix", "whoami", "--agent", tcp_agent.tcp_address, config=tmp_path, OMNIX_TOKEN=token
    )
    assert who.returncode == 0, who.stderr
    assert "(viewer) via token" in who.stdout
    token_id = token.split("_")[1]
    revoked = run(
        "omnix", "token", "revoke", token_id, "--agent", tcp_agent.address, config=tmp_path
    )
    assert revoked.returncode == 0, revoked.stderr
    refused = run(
        "omnix", "whoami", "--agent", tcp_agent.tcp_address, config=tmp_path, OMNIX_TOKEN=token
    )
    assert "was revoked" in refused.stderr
