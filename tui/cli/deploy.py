"""`omnix deploy FILE`: store a pipeline file on the agent as a new version."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from omnix.shared.pipeline import PipelineInvalid, load_pipeline
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.wire import node_files


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@agent_option
def command(file: Path, agent: str | None) -> None:
    """Deploy FILE: every deploy stores a new version; a schedule starts firing."""
    try:
        pipeline = load_pipeline(file)
    except PipelineInvalid as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)
    with agent_client(agent) as client:
        reply = client.deploy(pipeline.source, str(file.absolute()), node_files(pipeline))
    scheduled = " (scheduled)" if reply.pipeline.scheduled else ""
    click.echo(f"deployed {reply.pipeline.name} version {reply.version}{scheduled}")
