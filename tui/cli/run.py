"""`omnix run FILE`: run a pipeline file on an agent, streaming node states and logs live.

Same output, `--json` document and exit status as `omnix-agent run` (0 succeeded, 1 failed,
2 invalid input or no agent, 130 cancelled); the run happens on the agent, which records it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from omnix.shared.cli import json_option, load_for_run, outputs_option, param_option
from omnix.shared.outputs import final_output_lines
from omnix.shared.progress import ProgressRenderer
from omnix.shared.status import RunStatus
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.wire import document_from_run, event_from_message, node_files
from omnix.v1 import run_pb2

KEEP_OUTPUTS = {
    "final": run_pb2.KEEP_OUTPUTS_FINAL,
    "all": run_pb2.KEEP_OUTPUTS_ALL,
    "none": run_pb2.KEEP_OUTPUTS_NONE,
}
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@param_option
@json_option
@outputs_option
@agent_option
def command(
    file: Path, assignments: tuple[str, ...], as_json: bool, outputs: str, agent: str | None
) -> None:
    """Run FILE on an agent (a local one starts when none runs) and show its progress."""
    # Validate here first: problems point into the user's file without a round trip.
    pipeline, params = load_for_run(file, assignments)
    request = run_pb2.StartRunRequest(
        pipeline_source=pipeline.source,
        # Absolute: the agent runs nodes in this file's folder and knows nothing of our cwd.
        source_path=str(file.absolute()),
        params={key: json.dumps(value) for key, value in params.items()},
        files=node_files(pipeline),
        # Only what is printed is converted (--outputs, the final nodes' by default).
        keep_outputs=KEEP_OUTPUTS[outputs],
    )
    renderer = ProgressRenderer(
        sys.stderr if as_json else sys.stdout, node_ids=[node.id for node in pipeline.nodes]
    )
    with agent_client(agent) as client:
        run_id = client.call(client.runs.StartRun, request).run.run_id
        shown = 0

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
            # Ctrl-C cancels the run on the agent too, like an in-process run, and shows
            # how it ended.
            client.call(client.runs.CancelRun, run_pb2.CancelRunRequest(run_id=run_id))
            show_events()
        final = client.call(client.runs.GetRun, run_pb2.GetRunRequest(run_id=run_id))
        # Outputs come apart, streamed in parts: a run document may be far larger than one
        # gRPC message.
        kept = client.read_outputs(run_id)
    renderer.finish()
    document = document_from_run(final.run)
    for node_id, text in kept.items():
        document.nodes[node_id].output_text = text  # printed as it came, never parsed
    if as_json:
        sys.stdout.write(document.dumps() + "\n")
    else:
        for line in final_output_lines(pipeline, document):
            click.echo(line)
    if document.status is RunStatus.SUCCEEDED:
        sys.exit(0)
    sys.exit(EXIT_INTERRUPTED if document.status is RunStatus.CANCELLED else EXIT_FAILED)
