"""`omnix cancel RUN`: cancel a queued or running run."""

from __future__ import annotations

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.wire import run_status
from omnix.v1 import run_pb2


@click.command()
@click.argument("run_id", metavar="RUN")
@agent_option
def command(run_id: str, agent: str | None) -> None:
    """Cancel RUN; prints the state it ended in."""
    with agent_client(agent) as client:
        reply = client.call(client.runs.CancelRun, run_pb2.CancelRunRequest(run_id=run_id))
    status = run_status(reply.run.status)
    reason = f" ({reply.run.reason})" if reply.run.reason else ""
    click.echo(f"run {run_id}: {status}{reason}")
