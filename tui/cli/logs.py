"""`omnix logs RUN [--follow]`: a run's node logs, then how it ended (or where it stands).

Each log line is prefixed with its node. The last lines say the run's status and each
failed node's error. With `--follow` the command follows a live run to its end and exits
as `omnix run` does: 0 succeeded, 1 failed, 130 cancelled.
"""

from __future__ import annotations

import sys

import click
from omnix.shared.cli import EXIT_FAILED, EXIT_INTERRUPTED
from omnix.shared.events import NodeLog, NodeStateChanged, RunStateChanged
from omnix.shared.status import NodeStatus, RunStatus
from omnix.tui.cli.agent_options import agent_client, agent_option, report_link
from omnix.tui.wire import event_from_message


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option("--follow", "-f", is_flag=True, help="Keep printing until the run ends.")
@agent_option
def command(run_id: str, follow: bool, agent: str | None) -> None:
    """Print RUN's logs, each line prefixed with its node, then how the run ended.

    RUN is a run id or any unique prefix of one."""
    state: RunStateChanged | None = None
    errors: dict[str, str] = {}
    full_id = run_id
    out = sys.stdout
    with agent_client(agent) as client:
        client.on_link = report_link
        for message in client.watch(run_id, follow=follow):
            full_id = message.run_id or full_id
            event = event_from_message(message)
            if isinstance(event, NodeLog):
                out.writelines(f"{event.node_id} | {line}\n" for line in event.text.splitlines())
            elif isinstance(event, RunStateChanged):
                state = event
            elif isinstance(event, NodeStateChanged):
                if event.status is NodeStatus.FAILED and event.error:
                    errors[event.node_id] = event.error
                else:
                    errors.pop(event.node_id, None)  # a retry that succeeded
    if state is not None:
        reason = f" ({state.reason})" if state.reason else ""
        out.write(f"-- run {full_id[:12]} {state.status.value}{reason}\n")
    for node_id, error in errors.items():
        # The message first (a traceback ends with it), then the traceback, indented.
        *trace, headline = error.rstrip().splitlines() or [""]
        out.write(f"-- {node_id} failed: {headline}\n")
        out.writelines(f"   {line}\n" for line in trace)
    out.flush()
    if follow and state is not None and state.status.is_final:
        if state.status is RunStatus.CANCELLED:
            sys.exit(EXIT_INTERRUPTED)
        sys.exit(0 if state.status is RunStatus.SUCCEEDED else EXIT_FAILED)
