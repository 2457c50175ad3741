"""`omnix pause NAME` and `omnix resume NAME`: stop and restart a deployed pipeline's
schedule. Fires missed while paused follow the schedule's `catchup` on resume."""

from __future__ import annotations

import time

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.v1 import schedule_pb2


@click.command()
@click.argument("name")
@agent_option
def pause(name: str, agent: str | None) -> None:
    """Pause the schedule of NAME: it fires no more until resumed."""
    with agent_client(agent) as client:
        client.call(
            client.schedules.PauseSchedule, schedule_pb2.PauseScheduleRequest(pipeline_name=name)
        )
    click.echo(f"paused {name}")


@click.command()
@click.argument("name")
@agent_option
def resume(name: str, agent: str | None) -> None:
    """Resume the schedule of NAME; prints its next fire time."""
    with agent_client(agent) as client:
        reply = client.call(
            client.schedules.ResumeSchedule,
            schedule_pb2.ResumeScheduleRequest(pipeline_name=name),
        )
    at = reply.schedule.next_fire_at
    next_fire = time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(at)) if at else "-"
    click.echo(f"resumed {name}; next fire {next_fire}")
