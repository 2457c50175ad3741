"""`omnix backfill NAME --from T --to T`: run a deployed pipeline once for each fire time
of its schedule in a range (both ends included) that has no run yet."""

from __future__ import annotations

import time
from datetime import datetime

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.v1 import schedule_pb2


class Moment(click.ParamType[float]):
    """An ISO 8601 date or date and time; without an offset, in this machine's timezone."""

    name = "TIME"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, float):
            return value
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not a date or time: write 2026-11-01 or 2026-11-01T06:00", param, ctx
            )
        return (moment if moment.tzinfo else moment.astimezone()).timestamp()


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
