"""`omnix logs RUN [--follow]`: a run's node logs (and, with --follow, live until it ends)."""

from __future__ import annotations

import click
from omnix.shared.events import NodeLog
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.wire import event_from_message


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the run ends.")
@agent_option
def command(run_id: str, follow: bool, agent: str | None) -> None:
    """Print RUN's logs, each line prefixed with its node."""
    with agent_client(agent) as client:
        for message in client.watch(run_id, follow=follow):
            event = event_from_message(message)
            if isinstance(event, NodeLog):
                for line in event.text.splitlines():
                    click.echo(f"{event.node_id} | {line}")
