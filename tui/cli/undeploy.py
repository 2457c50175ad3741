"""`omnix undeploy NAME`: remove a deployed pipeline and its schedule (its runs are kept)."""

from __future__ import annotations

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.v1 import pipeline_pb2


@click.command()
@click.argument("name")
@agent_option
def command(name: str, agent: str | None) -> None:
    """Remove the deployed pipeline NAME and its schedule; its runs stay listed."""
    with agent_client(agent) as client:
        client.call(client.pipelines.DeletePipeline, pipeline_pb2.DeletePipelineRequest(name=name))
    click.echo(f"undeployed {name}")
