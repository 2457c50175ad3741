"""`omnix deploy FILE`: store a pipeline file on the agent as a new version."""

from __future__ import annotations

from pathlib import Path

import click
from omnix.tui.cli.agent_options import agent_client, agent_option, fail


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@agent_option
def command(file: Path, agent: str | None) -> None:
    """Deploy FILE: every deploy stores a new version; a schedule starts firing."""
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read: {exc}")
    with agent_client(agent) as client:
        reply = client.deploy(source, str(file))
    scheduled = " (scheduled)" if reply.pipeline.scheduled else ""
    click.echo(f"deployed {reply.pipeline.name} version {reply.version}{scheduled}")
