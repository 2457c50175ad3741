"""`omnix-agent stop`: stop the agent of a state dir (SIGTERM: it drains, then exits)."""

from __future__ import annotations

import os
import select
import signal
import sys
from pathlib import Path

import click
from omnix.agent.config import PID_FILE, load_config, resolve_state_dir
from omnix.agent.errors import ConfigError


def agent_pid(state_dir: Path) -> int | None:
    """The pid in the state dir's pid file when that process is an omnix agent, else None."""
    try:
        pid = int((state_dir / PID_FILE).read_text().strip())
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (OSError, ValueError):
        return None
    # Guards against a stale pid file whose pid now belongs to another program.
    return pid if b"omnix" in cmdline and b"serve" in cmdline else None


def wait_for_exit(pid: int, timeout_s: float) -> bool:
    """Wait (bounded) for a process that is not our child to exit; True when it did."""
    try:
        descriptor = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([descriptor], [], [], timeout_s)
        return bool(readable)
    finally:
        os.close(descriptor)


@click.command()
@click.option("--state-dir", help="The agent's state dir (see `serve`).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config.")
@click.option("--timeout", default=60.0, show_default=True, help="Seconds to wait for the exit.")
def command(state_dir: str | None, config_path: str | None, timeout: float) -> None:
    """Stop the running agent and wait until it has drained and exited."""
    try:
        state = resolve_state_dir(state_dir, load_config(config_path))
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    pid = agent_pid(state)
    if pid is None:
        click.echo(f"no agent is running for {state}")
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        click.echo(f"no agent is running for {state}")
        return
    except PermissionError:
        click.echo(
            f"omnix-agent: not allowed to stop agent {pid} (run this as its user, "
            "or `systemctl stop omnix-agent` when systemd runs it)",
            err=True,
        )
        sys.exit(2)
    if not wait_for_exit(pid, timeout):
        click.echo(f"omnix-agent: agent {pid} still runs after {timeout:.0f}s", err=True)
        sys.exit(1)
    click.echo(f"stopped the agent (pid {pid})")
