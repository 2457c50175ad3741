"""`omnix show RUN [--json] [--outputs]`: one run in full: when, why, with which params and
version, and each node's status, attempts, duration and error (outputs on request)."""

from __future__ import annotations

import json
import sys

import click
from omnix.tui.cli.agent_options import agent_client, agent_option
from omnix.tui.cli.times import local_time
from omnix.tui.wire import node_status, run_status
from omnix.v1 import run_pb2


@click.command()
@click.argument("run_id", metavar="RUN")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
@click.option("--outputs", "with_outputs", is_flag=True, help="Include the kept node outputs.")
@agent_option
def command(run_id: str, as_json: bool, with_outputs: bool, agent: str | None) -> None:
    """Show RUN (a run id or any unique prefix of one) in full."""
    with agent_client(agent) as client:
        run = client.call(client.runs.GetRun, run_pb2.GetRunRequest(run_id=run_id)).run
        outputs = client.read_outputs(run.run_id) if with_outputs else {}
    document = {
        "run_id": run.run_id,
        "pipeline": run.pipeline,
        "version": run.version or None,
        "status": run_status(run.status).value,
        "reason": run.reason or None,
        "trigger": run.trigger,
        "params": json.loads(run.params_json or "{}"),
        "created_at": run.created_at or None,
        "started_at": run.started_at or None,
        "finished_at": run.finished_at or None,
        "nodes": {
            node.node_id: {
                "status": node_status(node.status).value,
                "attempts": node.attempts,
                "duration_s": node.duration_s if node.HasField("duration_s") else None,
                "queue_wait_s": node.queue_wait_s if node.HasField("queue_wait_s") else None,
                "error": node.error or None,
            }
            for node in run.nodes
        },
    }
    if as_json:
        for node_id, text in outputs.items():
            document["nodes"][node_id]["output"] = json.loads(text)
        click.echo(json.dumps(document, ensure_ascii=False))
        return
    out = sys.stdout
    reason = f" ({run.reason})" if run.reason else ""
    version = f" version {run.version}" if run.version else " (sent inline)"
    out.write(f"run {run.run_id}: {document['status']}{reason}\n")
    out.write(f"  pipeline  {run.pipeline}{version}\n")
    out.write(f"  trigger   {run.trigger}\n")
    out.write(f"  params    {json.dumps(document['params'], ensure_ascii=False)}\n")
    for label, key in (
        ("created", "created_at"),
        ("started", "started_at"),
        ("finished", "finished_at"),
    ):
        out.write(f"  {label:<9} {local_time(document[key] or 0)}\n")
    for node_id, node in document["nodes"].items():
        took = f" in {node['duration_s']:.3f}s" if node["duration_s"] is not None else ""
        if (node["queue_wait_s"] or 0) >= 0.001:  # a warm worker waits microseconds
            took += f" after {node['queue_wait_s']:.3f}s queued"
        tries = f", {node['attempts']} attempts" if node["attempts"] > 1 else ""
        out.write(f"  node {node_id}: {node['status']}{took}{tries}\n")
        if node["error"]:
            *trace, headline = node["error"].rstrip().splitlines()
            out.write(f"    error: {headline}\n")
            out.writelines(f"      {line}\n" for line in trace)
        if node_id in outputs:
            out.write(f"    output: {outputs[node_id]}\n")
