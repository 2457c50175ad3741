"""`omnix share NAME USER --role viewer|developer` and `omnix unshare NAME USER`.

A pipeline belongs to the user who first deployed it; its owner (or an admin) shares it so
that another user can see it (viewer) or also run and deploy it (developer).
"""

from __future__ import annotations

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.v1 import pipeline_pb2


def _print_access(pipeline: pipeline_pb2.Pipeline) -> None:
    shared = ", ".join(f"{s.user} ({s.role})" for s in pipeline.shares) or "nobody"
    click.echo(f"{pipeline.name}: owner {pipeline.owner or '-'}, shared with {shared}")


@click.command()
@click.argument("name")
@click.argument("user")
@click.option(
    "--role",
    type=click.Choice(["viewer", "developer"]),
    default="viewer",
    show_default=True,
    help="viewer: see it, its runs and logs; developer: also run and deploy it.",
)
@agent_option
def share(name: str, user: str, role: str, agent: str | None) -> None:
    """Share the deployed pipeline NAME with USER (again: change the role)."""
    with agent_client(agent) as client:
        reply = client.call(
            client.pipelines.SharePipeline,
            pipeline_pb2.SharePipelineRequest(name=name, user=user, role=role),
        )
    _print_access(reply.pipeline)


@click.command()
@click.argument("name")
@click.argument("user")
@agent_option
def unshare(name: str, user: str, agent: str | None) -> None:
    """Stop sharing the pipeline NAME with USER."""
    with agent_client(agent) as client:
        reply = client.call(
            client.pipelines.UnsharePipeline,
            pipeline_pb2.UnsharePipelineRequest(name=name, user=user),
        )
    _print_access(reply.pipeline)
