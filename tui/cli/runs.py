"""`omnix runs [PIPELINE]`: the agent's runs, newest first."""

from __future__ import annotations

import json

import click
from omnix.shared.status import RunStatus
from omnix.tui.cli.agent_options import agent_client, agent_option, fail
from omnix.tui.cli.times import Since, local_time
from omnix.tui.wire import document_from_run, run_status
from omnix.v1 import run_pb2, schedule_pb2

UNFIRED = ("missed", "refused")
MAX_LIMIT = 1000
"""The agent's largest page of runs."""


@click.command()
@click.argument("pipeline", required=False, default="")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=click.IntRange(1, MAX_LIMIT),
    help="At most this many runs.",
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice([*(s.value for s in RunStatus), *UNFIRED]),
    help="Only runs in this state (repeatable); missed and refused select fire times.",
)
@click.option(
    "--since", type=Since(), help="Only since then: 2026-11-01, 2026-11-01T06:00, 2h, 7d."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of run documents.")
@agent_option
def command(
    pipeline: str,
    limit: int,
    statuses: tuple[str, ...],
    since: float | None,
    as_json: bool,
    agent: str | None,
) -> None:
    """List runs (of PIPELINE), newest first, with the scheduled fire times that started
    none (missed or refused, with why); outputs are left out. --json lists the runs only."""
    filtered = bool(statuses) or since is not None
    page = MAX_LIMIT if filtered else limit  # filters apply to the agent's newest page
    with agent_client(agent) as client:
        runs = client.call(
            client.runs.ListRuns, run_pb2.ListRunsRequest(pipeline_name=pipeline, page_size=page)
        ).runs
        unfired = client.call(
            client.schedules.ListUnfiredFires,
            schedule_pb2.ListUnfiredFiresRequest(pipeline_name=pipeline, page_size=page),
        ).fires
    wanted = set(statuses)
    runs = [
        run
        for run in runs
        if (not wanted or run_status(run.status).value in wanted)
        and (since is None or run.created_at >= since)
    ][:limit]
    unfired = [
        fire
        for fire in unfired
        if (not wanted or fire.outcome in wanted) and (since is None or fire.scheduled_for >= since)
    ]
    if not runs and not unfired and pipeline and not filtered:
        fail(f"no runs of a pipeline named {pipeline!r} on this agent (omnix runs lists all)")
    if not runs and not unfired and not as_json:
        click.echo("no runs match" if filtered else "no runs yet", err=True)
        return
    if as_json:
        documents = [document_from_run(run).to_json(with_output=False) for run in runs]
        click.echo(json.dumps(documents, ensure_ascii=False))
        return
    # Runs and the fire times that started none, newest first, as many as --limit.
    lines: list[tuple[float, str]] = []
    for run in runs:
        document = document_from_run(run)
        reason = f"  ({run.reason})" if run.reason else ""
        text = f"{run.run_id}  {local_time(run.created_at)}  {run.pipeline:<24} {document.status}"
        lines.append((run.created_at, text + reason))
    for fire in unfired:
        text = (
            f"{'-':<24}  {local_time(fire.scheduled_for)}  {fire.pipeline_name:<24} {fire.outcome}"
        )
        lines.append((fire.scheduled_for, f"{text}  ({fire.reason})" if fire.reason else text))
    for _, text in sorted(lines, key=lambda line: line[0], reverse=True)[:limit]:
        click.echo(text)
