"""`omnix-agent run FILE [--param k=v]... [--json]`: run a pipeline in this process, no daemon.

Exit status: 0 the run succeeded, 1 it failed, 2 the file or a parameter is invalid
(problems printed as FILE:LINE: message on stderr), 130 it was interrupted (Ctrl-C or
SIGTERM: running nodes are killed, nothing is left behind).
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click
from omnix.shared.cli import json_option, load_for_run, outputs_option, param_option
from omnix.shared.outputs import KeepOutputs, final_output_lines
from omnix.shared.pipeline import Pipeline
from omnix.shared.progress import ProgressRenderer
from omnix.shared.rundoc import RunDocument
from omnix.shared.status import RunStatus

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@click.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@param_option
@json_option
@outputs_option
def command(file: str, assignments: tuple[str, ...], as_json: bool, outputs: str) -> None:
    """Run the pipeline FILE here, in-process, and show its progress."""
    pipeline, params = load_for_run(file, assignments)
    # Nodes run in the file's folder, named absolutely (messages keep the path as typed).
    pipeline = dataclasses.replace(pipeline, path=str(Path(file).absolute()))
    progress_stream = sys.stderr if as_json else sys.stdout
    renderer = ProgressRenderer(progress_stream, node_ids=[node.id for node in pipeline.nodes])
    # Only the outputs asked for are converted; for --json they stay JSON text throughout.
    shown = KeepOutputs(outputs).selection(pipeline)
    document = asyncio.run(_run(pipeline, params, renderer, shown, as_text=as_json))
    renderer.finish()
    if as_json:
        sys.stdout.write(document.dumps() + "\n")
    else:
        _print_outputs(pipeline, document)
    if document.status is RunStatus.SUCCEEDED:
        sys.exit(0)
    sys.exit(EXIT_INTERRUPTED if document.status is RunStatus.CANCELLED else EXIT_FAILED)


async def _run(
    pipeline: Pipeline,
    params: dict[str, Any],
    renderer: ProgressRenderer,
    include_outputs: bool | frozenset[str],
    *,
    as_text: bool,
) -> RunDocument:
    # Imported here so `--help` and invalid files never pay for the engine.
    from omnix.agent.runs.engine import Engine

    cancel = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, cancel.set)
    ticker = asyncio.create_task(_tick(renderer))
    try:
        async with Engine(secrets=os.environ.get) as engine:
            return await engine.run(
                pipeline,
                params=params,
                on_event=renderer.handle,
                cancel=cancel,
                include_outputs=include_outputs,
                outputs_as_text=as_text,
            )
    finally:
        ticker.cancel()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


async def _tick(renderer: ProgressRenderer) -> None:
    """Keep running nodes' clocks moving on a terminal."""
    while True:
        await asyncio.sleep(0.25)
        renderer.tick()


def _print_outputs(pipeline: Pipeline, document: RunDocument) -> None:
    """The outputs of the final nodes (those nothing else needs), tables cut to a few rows."""
    for line in final_output_lines(pipeline, document):
        click.echo(line)
