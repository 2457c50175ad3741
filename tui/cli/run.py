"""`omnix run FILE|NAME`: run a pipeline file, or a deployed pipeline by name, on an agent,
streaming node states and logs live.

Same output, `--json` document and exit status as `omnix-agent run` (0 succeeded, 1 failed,
2 invalid input, 3 no agent, 130 cancelled); the run happens on the agent, which records it.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import click
from omnix.shared.cli import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    json_option,
    load_for_run,
    output_option,
    outputs_option,
    param_option,
)
from omnix.shared.client import AgentClient
from omnix.shared.outputs import UnknownNode, check_output_nodes, output_lines
from omnix.shared.progress import ProgressRenderer
from omnix.shared.rundoc import RunDocument
from omnix.shared.status import RunStatus
from omnix.tui.cli.agent_options import agent_client, agent_option, fail, report_link
from omnix.tui.wire import document_from_run, event_from_message, node_files
from omnix.v1 import pipeline_pb2, run_pb2

PIPELINE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


@click.command()
@click.argument("target", metavar="FILE|NAME", type=click.Path(dir_okay=False, path_type=Path))
@param_option
@json_option
@outputs_option
@output_option
@agent_option
def command(
    target: Path,
    assignments: tuple[str, ...],
    as_json: bool,
    outputs: str,
    output_nodes: tuple[str, ...],
    agent: str | None,
) -> None:
    """Run FILE, or the deployed pipeline NAME (its newest version), on an agent (a local
    one starts when none runs) and show its progress."""
    # Only what is printed is converted: --outputs final|all|none.
    keep = f"KEEP_OUTPUTS_{outputs.upper()}"  # the enum value's name
    if target.exists() or not PIPELINE_NAME.match(str(target)):
        # Validate here first: problems point into the user's file without a round trip.
        pipeline, params = load_for_run(target, assignments)
        try:
            check_output_nodes(pipeline, output_nodes)
        except UnknownNode as exc:
            fail(f"{target}: {exc}", EXIT_INVALID)
        request = run_pb2.StartRunRequest(
            pipeline_source=pipeline.source,
            # Absolute: the agent runs nodes in this file's folder, knowing nothing of our cwd.
            source_path=str(target.absolute()),
            params={key: json.dumps(value) for key, value in params.items()},
            files=node_files(pipeline),
            keep_outputs=keep,
            output_nodes=output_nodes,
        )
        node_ids = [node.id for node in pipeline.nodes]
        with agent_client(agent) as client:
            document = _run(client, request, node_ids, as_json)
    else:
        with agent_client(agent) as client:
            request, node_ids = _deployed_request(client, str(target), assignments, keep)
            request.output_nodes.extend(output_nodes)
            document = _run(client, request, node_ids, as_json)
    if as_json:
        sys.stdout.flush()
        document.write(sys.stdout.buffer)
        sys.stdout.buffer.write(b"\n")
    else:
        kept = [n for n in node_ids if document.nodes[n].output_text is not None]
        for line in output_lines(document, kept):
            click.echo(line)
    if document.status is RunStatus.SUCCEEDED:
        sys.exit(0)
    sys.exit(EXIT_INTERRUPTED if document.status is RunStatus.CANCELLED else EXIT_FAILED)


def _deployed_request(
    client: AgentClient,
    name: str,
    assignments: tuple[str, ...],
    keep: str,
) -> tuple[run_pb2.StartRunRequest, list[str]]:
    """StartRun of the newest deployed version of `name`, params typed by its defaults."""
    from omnix.shared.params import ParamError, parse_params
    from ruamel.yaml import YAML

    reply = client.call(client.pipelines.GetPipeline, pipeline_pb2.GetPipelineRequest(name=name))
    source = max(reply.versions, key=lambda v: v.version).source
    document: Any = YAML(typ="safe").load(source)  # validated when it was deployed
    try:
        params = parse_params(assignments, document.get("params") or {})
    except ParamError as exc:
        fail(f"{name}: {exc}", EXIT_INVALID)
    request = run_pb2.StartRunRequest(
        pipeline_name=name,
        params={key: json.dumps(value) for key, value in params.items()},
        keep_outputs=keep,
    )
    return request, [str(node["id"]) for node in document["nodes"]]


def _run(
    client: AgentClient, request: run_pb2.StartRunRequest, node_ids: list[str], as_json: bool
) -> RunDocument:
    """Start the run, show its progress until it ends, and return its document with the
    kept outputs as JSON text."""
    renderer = ProgressRenderer(sys.stderr if as_json else sys.stdout, node_ids=node_ids)
    run_id = client.call(client.runs.StartRun, request).run.run_id
    shown = 0
    client.on_link = report_link

    def show_events() -> None:
        nonlocal shown
        for message in client.watch(run_id):
            event = event_from_message(message)
            if event is not None and message.sequence > shown:
                renderer.handle(event)
            shown = max(shown, message.sequence)

    try:
        show_events()
    except KeyboardInterrupt:
        # Ctrl-C cancels the run on the agent too, like an in-process run, and shows how
        # it ended.
        client.call(client.runs.CancelRun, run_pb2.CancelRunRequest(run_id=run_id))
        show_events()
    final = client.call(client.runs.GetRun, run_pb2.GetRunRequest(run_id=run_id))
    # Outputs come apart, streamed in parts: a run document may be far larger than one
    # gRPC message.
    kept = client.read_output_bytes(run_id)
    renderer.finish()
    document = document_from_run(final.run)
    for node_id, text in kept.items():
        document.nodes[node_id].output_text = text  # printed as it came, never parsed
    return document
