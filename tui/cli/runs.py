"""`omnix runs [PIPELINE]`: the agent's runs, newest first."""

from __future__ import annotations

import json
import time

import click
from omnix.tui.cli.agent_options import agent_client, agent_option, fail
from omnix.tui.wire import document_from_run
from omnix.v1 import run_pb2

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
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of run documents.")
@agent_option
def command(pipeline: str, limit: int, as_json: bool, agent: str | None) -> None:
    """List runs (of PIPELINE), newest first; outputs are left out."""
    with agent_client(agent) as client:
        reply = client.call(
            client.runs.ListRuns, run_pb2.ListRunsRequest(pipeline_name=pipeline, page_size=limit)
        )
    if not reply.runs and pipeline:
        fail(f"no runs of a pipeline named {pipeline!r} on this agent (omnix runs lists all)")
    if as_json:
        documents = [document_from_run(run).to_json(with_output=False) for run in reply.runs]
        click.echo(json.dumps(documents, ensure_ascii=False))
        return
    for run in reply.runs:
        document = document_from_run(run)
        created = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(run.created_at))
        reason = f"  ({run.reason})" if run.reason else ""
        click.echo(f"{run.run_id}  {created}  {run.pipeline:<24} {document.status}{reason}")
