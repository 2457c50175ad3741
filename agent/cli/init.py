"""`omnix-agent init`: create the state dir, a documented config file and the admin token."""

from __future__ import annotations

import os
from pathlib import Path

import click
from omnix.agent.config import (
    TOKEN_FILE,
    AgentConfig,
    ensure_admin_token,
    render_default_config,
    resolve_state_dir,
)


@click.command()
@click.option("--state-dir", help="Where the agent keeps its data (see `serve`).")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file to write (default: agent.toml in the state dir).",
)
def command(state_dir: str | None, config_path: Path | None) -> None:
    """Prepare this machine for an agent. Existing files are kept."""
    state = resolve_state_dir(state_dir, AgentConfig())
    state.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(state, 0o700)  # The socket's protection relies on it.
    token_existed = (state / TOKEN_FILE).exists()
    ensure_admin_token(state)
    target = config_path or state / "agent.toml"
    if target.exists():
        click.echo(f"kept the config file {target}")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render_default_config(), encoding="utf-8")
        click.echo(f"wrote the config file {target} (every key documented)")
    verb = "kept" if token_existed else "created"
    click.echo(f"{verb} the admin token {state / TOKEN_FILE} (mode 0600; TCP clients send it)")
    click.echo(f"state dir: {state}")
    click.echo(f"start the agent: omnix-agent serve --state-dir {state} --config {target}")
