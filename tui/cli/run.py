"""`omnix run FILE`: run a pipeline file on an agent, streaming node states and logs live."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.rundoc import RunDocument
from omnix.shared.status import RunStatus
from omnix.tui.cli.agent_options import agent_client, agent_option, fail
from omnix.tui.wire import document_from_run, event_from_message
from omnix.v1 import run_pb2


def parse_param(text: str) -> tuple[str, object]:
    """`k=v`: v as JSON when it parses (5, true, "x", [1]), else as the plain string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        fail(f"--param {text!r} is not KEY=VALUE")
    try:
        return key, json.loads(value)
    except ValueError:
        return key, value


def render(event: RunEvent) -> None:
    """Live progress on stderr: node states as they change, logs prefixed by their node."""
    if isinstance(event, NodeLog):
        for line in event.text.splitlines():
            click.echo(f"  {event.node_id} | {line}", err=True)
    elif isinstance(event, NodeStateChanged):
        took = f" ({event.duration_s:.3f}s)" if event.duration_s is not None else ""
        click.echo(f"{event.node_id}: {event.status}{took}", err=True)
        if event.error:
            click.echo(event.error.rstrip(), err=True)
    elif isinstance(event, RunStateChanged) and event.status.is_final:
        why = f" ({event.reason})" if event.reason else ""
        click.echo(f"run {event.run_id}: {event.status}{why}", err=True)


def summarize(document: RunDocument) -> None:
    """The human summary on stdout when --json is not given."""
    click.echo(f"{document.pipeline} {document.run_id}: {document.status}")
    for node_id, result in document.nodes.items():
        click.echo(f"  {node_id}: {result.status}")


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--param", "params", multiple=True, metavar="K=V", help="Override a parameter.")
@click.option("--json", "as_json", is_flag=True, help="Print the run document as JSON.")
@agent_option
def command(file: Path, params: tuple[str, ...], as_json: bool, agent: str | None) -> None:
    """Run FILE on an agent (a local one starts when none runs) and show its progress."""
    try:
        source = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{file}: cannot read: {exc}")
    overrides = dict(parse_param(p) for p in params)
    request = run_pb2.StartRunRequest(
        pipeline_source=source,
        source_path=str(file),
        params={key: json.dumps(value) for key, value in overrides.items()},
    )
    with agent_client(agent) as client:
        reply = client.call(client.runs.StartRun, request)
        run_id = reply.run.run_id
        try:
            for message in client.watch(run_id):
                event = event_from_message(message)
                if event is not None:
                    render(event)
        except KeyboardInterrupt:
            client.call(client.runs.CancelRun, run_pb2.CancelRunRequest(run_id=run_id))
            click.echo(f"run {run_id}: cancelled", err=True)
            sys.exit(130)
        final = client.call(
            client.runs.GetRun, run_pb2.GetRunRequest(run_id=run_id, include_outputs=True)
        )
    document = document_from_run(final.run)
    if as_json:
        click.echo(document.dumps())
    else:
        summarize(document)
    sys.exit(0 if document.status is RunStatus.SUCCEEDED else 1)
