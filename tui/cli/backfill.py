"""`omnix backfill NAME --from T --to T`: run a deployed pipeline once for each fire time
of its schedule in a range (both ends included) that has no run yet."""

from __future__ import annotations

import time

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.cli.times import Moment
from omnix.v1 import schedule_pb2


@click.command()
@click.argument("name")
@click.option(
    "--from", "start", type=Moment(), required=True, help="The first fire time (ISO 8601)."
)
@click.option("--to", "end", type=Moment(), required=True, help="The last fire time (ISO 8601).")
@agent_option
def command(name: str, start: float, end: float, agent: str | None) -> None:
    """Queue one run of NAME (trigger "backfill") for each of its fire times from --from to
    --to that has no run yet; prints each run with its fire time."""
    with agent_client(agent) as client:
        reply = client.call(
            client.schedules.Backfill,
            schedule_pb2.BackfillRequest(pipeline_name=name, from_time=start, to_time=end),
        )
    for run in reply.runs:
        at = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(run.scheduled_for))
        click.echo(f"{run.run_id}  {at}")
    skipped = f"; {reply.skipped} fire time(s) already had a run" if reply.skipped else ""
    click.echo(f"queued {len(reply.runs)} run(s) of {name}{skipped}", err=True)
