"""`omnix pipelines [--json]`: the deployed pipelines with version, schedule, next fire and
the status of their newest run."""

from __future__ import annotations

import json

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.cli.times import local_time
from omnix.tui.wire import run_status
from omnix.v1 import pipeline_pb2, run_pb2, schedule_pb2


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@agent_option
def command(as_json: bool, agent: str | None) -> None:
    """List deployed pipelines: version, schedule, next fire and last run."""
    with agent_client(agent) as client:
        pipelines = client.call(
            client.pipelines.ListPipelines, pipeline_pb2.ListPipelinesRequest()
        ).pipelines
        schedules = {
            s.pipeline_name: s
            for s in client.call(
                client.schedules.ListSchedules, schedule_pb2.ListSchedulesRequest()
            ).schedules
        }
        rows = []
        for pipeline in pipelines:
            newest = client.call(
                client.runs.ListRuns,
                run_pb2.ListRunsRequest(pipeline_name=pipeline.name, page_size=1),
            ).runs
            schedule = schedules.get(pipeline.name)
            rows.append(
                {
                    "name": pipeline.name,
                    "version": pipeline.latest_version,
                    "description": pipeline.description,
                    "owner": pipeline.owner,
                    "shared_with": {s.user: s.role for s in pipeline.shares},
                    "schedule": _schedule_text(schedule),
                    "paused": bool(schedule and schedule.paused),
                    "next_fire_at": schedule.next_fire_at or None if schedule else None,
                    "last_run": newest[0].run_id if newest else None,
                    "last_status": run_status(newest[0].status).value if newest else None,
                }
            )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False))
        return
    if not rows:
        click.echo("no pipelines deployed (omnix deploy FILE deploys one)", err=True)
        return
    click.echo(
        f"{'NAME':<24} {'VER':>3}  {'OWNER':<12} {'SCHEDULE':<22} {'NEXT FIRE':<19}  LAST RUN"
    )
    for row in rows:
        next_fire = "paused" if row["paused"] else local_time(row["next_fire_at"] or 0)
        last = f"{row['last_status']} ({row['last_run'][:12]})" if row["last_run"] else "-"
        click.echo(
            f"{row['name']:<24} {row['version']:>3}  {row['owner'] or '-':<12} "
            f"{row['schedule'] or '-':<22} "
            f"{next_fire:<19}  {last}"
        )


def _schedule_text(schedule: schedule_pb2.Schedule | None) -> str | None:
    if schedule is None:
        return None
    what = f"cron {schedule.cron}" if schedule.cron else f"every {schedule.every_s:g}s"
    return what if schedule.timezone in ("", "UTC") else f"{what} {schedule.timezone}"
