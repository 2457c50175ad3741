"""Who the TUI is signed in as, the access view, and the login prompt, against real agents:
the session's shared one on its unix socket (the OS user is its Owner) and a TCP agent of
its own that wants a login."""

from __future__ import annotations

import asyncio
import getpass
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from omnix.tui.components.access_screen import AccessScreen, LoginDialog
from omnix.tui.home import HomeApp
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label

from tests.agent.agents import RunningAgent, spawn_agent

PASSWORD = "a long enough password"


async def settled(pilot: Pilot[None]) -> None:
    await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
    await pilot.pause()


@pytest.fixture
def tcp_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningAgent]:
    """An agent on loopback TCP whose Owner has a password; the client keeps its sessions
    under tmp_path."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("OMNIX_TOKEN", raising=False)
    folder = Path(tempfile.mkdtemp(prefix="oxtcp", dir="/tmp"))
    running = spawn_agent(folder / "agent", tcp=True)
    owner = getpass.getuser()
    subprocess.run(
        [str(Path(sys.executable).parent / "omnix-agent"), "user", "password", owner,
         "--state-dir", str(folder / "agent")],
        input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    try:
        yield running
    finally:
        running.close()
        shutil.rmtree(folder, ignore_errors=True)


async def test_the_header_names_the_user_and_role(agent: RunningAgent) -> None:
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        assert app.identity is not None and app.identity.role == "owner"
        assert app.title.endswith(f"· {app.identity.user} (owner)")


async def test_the_access_view_lists_users_and_the_audit_log(agent: RunningAgent) -> None:
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("7")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, AccessScreen)
        users = screen.query_one("#users-table", DataTable)
        assert [str(c) for c in users.get_row_at(0)][:2] == [getpass.getuser(), "owner"]
        assert screen.query_one("#tokens-table", DataTable).display


async def test_a_tcp_agent_without_a_session_prompts_for_a_login(
    tcp_agent: RunningAgent, tmp_path: Path
) -> None:
    app = HomeApp(tcp_agent.tcp_address)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        dialog = app.screen
        assert isinstance(dialog, LoginDialog)
        dialog.query_one("#login-user", Input).value = getpass.getuser()
        dialog.query_one("#login-password", Input).value = "wrong password!"
        await pilot.click("#login-ok")
        await settled(pilot)
        assert "wrong user name or password" in str(
            dialog.query_one("#login-error", Label).render()
        )
        dialog.query_one("#login-password", Input).value = PASSWORD
        await pilot.press("enter")
        await settled(pilot)
        assert not isinstance(app.screen, LoginDialog)
        await settled(pilot)
        assert app.identity is not None and app.identity.via == "session"
    credentials = tmp_path / "omnix" / "credentials.toml"
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    assert tcp_agent.tcp_address in credentials.read_text()
