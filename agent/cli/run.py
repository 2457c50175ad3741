"""`omnix-agent run FILE [--param k=v]... [--json]`: run a pipeline in this process, no daemon.

The run is checked against the license (the daily executions count it) and recorded in the
agent's state dir, like a run an agent started: `omnix runs` and `omnix show` find it.

Exit status: 0 the run succeeded, 1 it failed, 2 the file or a parameter is invalid
(problems printed as FILE:LINE: message on stderr), 130 it was interrupted (Ctrl-C or
SIGTERM: running nodes are killed, nothing is left behind).
"""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from omnix.agent.config import DB_FILE, load_config, resolve_state_dir
from omnix.agent.errors import ConfigError, EntitlementError
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
from omnix.shared.outputs import (
    KeepOutputs,
    UnknownNode,
    check_output_nodes,
    final_output_lines,
    output_lines,
)
from omnix.shared.pipeline import Pipeline
from omnix.shared.progress import ProgressRenderer
from omnix.shared.rundoc import NodeResult, RunDocument
from omnix.shared.status import RunStatus

if TYPE_CHECKING:
    pass


@click.command("run")
@click.argument("file", type=click.Path(dir_okay=False))
@param_option
@json_option
@outputs_option
@output_option
@click.option("--state-dir", "state_dir_flag", help="The agent state dir to record the run in.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="TOML config.")
def command(
    file: str,
    assignments: tuple[str, ...],
    as_json: bool,
    outputs: str,
    output_nodes: tuple[str, ...],
    state_dir_flag: str | None,
    config_path: str | None,
) -> None:
    """Run the pipeline FILE here, in-process, and show its progress. The run is counted
    and recorded like any other, in the agent's state dir (`omnix runs` lists it)."""
    pipeline, params = load_for_run(file, assignments)
    try:
        check_output_nodes(pipeline, output_nodes)
    except UnknownNode as exc:
        click.echo(f"omnix-agent: {file}: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    # Nodes run in the file's folder, named absolutely (messages keep the path as typed).
    pipeline = dataclasses.replace(pipeline, path=str(Path(file).absolute()))
    progress_stream = sys.stderr if as_json else sys.stdout
    renderer = ProgressRenderer(progress_stream, node_ids=[node.id for node in pipeline.nodes])
    try:
        config = load_config(config_path)
        state_dir = resolve_state_dir(state_dir_flag, config)
    except ConfigError as exc:
        click.echo(f"omnix-agent: {exc}", err=True)
        sys.exit(EXIT_INVALID)
    # Only the outputs asked for are converted, and they stay JSON text throughout.
    document = asyncio.run(
        _run(
            pipeline,
            params,
            renderer,
            KeepOutputs(outputs),
            output_nodes,
            state_dir,
            config.master_key_file,
        )
    )
    renderer.finish()
    if as_json:
        sys.stdout.flush()
        document.write(sys.stdout.buffer)
        sys.stdout.buffer.write(b"\n")
    elif output_nodes:
        for line in output_lines(document, list(output_nodes)):
            click.echo(line)
    else:
        _print_outputs(pipeline, document)
    if document.status is RunStatus.SUCCEEDED:
        sys.exit(0)
    sys.exit(EXIT_INTERRUPTED if document.status is RunStatus.CANCELLED else EXIT_FAILED)


async def _run(
    pipeline: Pipeline,
    params: dict[str, Any],
    renderer: ProgressRenderer,
    keep: KeepOutputs,
    output_nodes: tuple[str, ...],
    state_dir: Path,
    master_key_file: str,
) -> RunDocument:
    """Run in this process as an agent would: counted against the license, recorded in the
    state dir's store (so `omnix runs` lists it), outputs kept as JSON text."""
    # Imported here so `--help` and invalid files never pay for the engine.
    from omnix.agent.licensing.gate import LicenseGate
    from omnix.agent.runs.engine import Engine
    from omnix.agent.runs.manager import RunManager
    from omnix.agent.store import runs as records
    from omnix.agent.store.db import Store

    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = await Store.open(state_dir / DB_FILE)
    loop = asyncio.get_running_loop()
    try:
        try:
            await LicenseGate(state_dir, store).check_run_start(pipeline)
        except EntitlementError as exc:
            click.echo(f"omnix-agent: {exc}", err=True)
            sys.exit(EXIT_INVALID)
        secrets = None
        if any(node.secrets for node in pipeline.nodes):
            # The agent's own secrets, from the same store and master key.
            from omnix.agent.security.vault import Vault

            try:
                secrets = (await Vault.open(store, state_dir, master_key_file)).get
            except ConfigError as exc:
                click.echo(f"omnix-agent: {exc}", err=True)
                sys.exit(EXIT_INVALID)
        async with Engine(secrets=secrets) as engine:
            # No recovery: an agent may serve this state dir, and its runs are its own.
            manager = RunManager(store, engine, max_concurrent_runs=1)
            await manager.start(recover=False)
            record = await manager.submit(
                pipeline, params=params, keep_outputs=keep, output_nodes=output_nodes
            )
            cancelling: list[asyncio.Task[Any]] = []

            def cancel() -> None:
                cancelling.append(asyncio.ensure_future(manager.cancel(record.run_id)))

            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, cancel)
            ticker = asyncio.create_task(_tick(renderer))
            try:
                async for _, event in manager.watch(record.run_id):
                    renderer.handle(event)
            finally:
                ticker.cancel()
                for signum in (signal.SIGINT, signal.SIGTERM):
                    loop.remove_signal_handler(signum)
            await asyncio.gather(*cancelling, return_exceptions=True)
            await manager.drain(0)
        # The kept outputs are the store's files, written by the decoder worker: read as
        # text, never parsed, to be printed as they are.
        run = await records.get_run(store, record.run_id, with_outputs=False)
        texts = {
            node.node_id: await asyncio.to_thread(
                store.outputs.read_bytes, run.run_id, node.node_id
            )
            for node in run.nodes
            if node.output_bytes is not None
        }
    finally:
        await store.close()
    return RunDocument(
        run.run_id,
        run.pipeline,
        run.status,
        {
            node.node_id: NodeResult(
                status=node.status,
                attempts=node.attempts,
                duration_s=node.duration_s,
                queue_wait_s=node.queue_wait_s,
                error=node.error,
                output_text=texts.get(node.node_id),
            )
            for node in run.nodes
        },
    )


async def _tick(renderer: ProgressRenderer) -> None:
    """Keep running nodes' clocks moving on a terminal."""
    while True:
        await asyncio.sleep(0.25)
        renderer.tick()


def _print_outputs(pipeline: Pipeline, document: RunDocument) -> None:
    """The outputs of the final nodes (those nothing else needs), tables cut to a few rows."""
    for line in final_output_lines(pipeline, document):
        click.echo(line)
