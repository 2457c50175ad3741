"""Translation of `omnix.v1` messages back into the shared events and run document, so the
CLI and the TUI render a remote run exactly like an in-process one."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Literal

from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.pipeline import Pipeline
from omnix.shared.rundoc import NodeResult, RunDocument
from omnix.shared.status import NodeStatus, RunStatus
from omnix.v1 import run_pb2, schedule_pb2, status_pb2

if TYPE_CHECKING:
    from omnix.shared.cron import DstShift

_RUN_STATUS = {status_pb2.RunStatus.Value(f"RUN_STATUS_{s.name}"): s for s in RunStatus}
_NODE_STATUS = {status_pb2.NodeStatus.Value(f"NODE_STATUS_{s.name}"): s for s in NodeStatus}


def node_files(pipeline: Pipeline) -> dict[str, str]:
    """The files the pipeline's `file:` nodes name, by path as written: they travel with the
    pipeline text, since the agent never reads the client's disk."""
    return {node.file: node.code for node in pipeline.nodes if node.file is not None}


def run_status(value: int) -> RunStatus:
    """The shared status for a wire value; UNSPECIFIED reads as queued."""
    return _RUN_STATUS.get(value, RunStatus.QUEUED)


def node_status(value: int) -> NodeStatus:
    """The shared status for a wire value; UNSPECIFIED reads as pending."""
    return _NODE_STATUS.get(value, NodeStatus.PENDING)


def event_from_message(message: run_pb2.WatchRunResponse) -> RunEvent | None:
    """The shared event a WatchRun message carries; None for a kind this client does not know."""
    kind = message.WhichOneof("event")
    if kind == "run_state":
        state = message.run_state
        return RunStateChanged(
            message.run_id, run_status(state.status), state.at, state.reason or None
        )
    if kind == "node_state":
        node = message.node_state
        return NodeStateChanged(
            message.run_id,
            node.node_id,
            node_status(node.status),
            node.attempt,
            node.at,
            node.duration_s if node.HasField("duration_s") else None,
            node.error or None,
            node.queue_wait_s if node.HasField("queue_wait_s") else None,
        )
    if kind == "log":
        chunk = message.log
        stream: Literal["stdout", "stderr"] = "stderr" if chunk.stream == "stderr" else "stdout"
        return NodeLog(message.run_id, chunk.node_id, stream, chunk.text, chunk.at)
    return None


def document_from_run(run: run_pb2.Run) -> RunDocument:
    """The `--json` run document; outputs are present when the run was fetched with them."""
    nodes = {
        node.node_id: NodeResult(
            status=node_status(node.status),
            attempts=node.attempts,
            duration_s=node.duration_s if node.HasField("duration_s") else None,
            queue_wait_s=node.queue_wait_s if node.HasField("queue_wait_s") else None,
            output=json.loads(node.output_json) if node.output_json else None,
            error=node.error or None,
        )
        for node in run.nodes
    }
    return RunDocument(run.run_id, run.pipeline, run_status(run.status), nodes)


_DST_SHIFTS: dict[int, DstShift] = {
    schedule_pb2.DST_SHIFT_SPRING_FORWARD: "spring-forward",
    schedule_pb2.DST_SHIFT_FALL_BACK: "fall-back",
}


def fire_times(reply: schedule_pb2.PreviewScheduleResponse) -> list[tuple[float, DstShift | None]]:
    """A schedule preview as (Unix time, DST shift or None) pairs, ascending. An agent that
    sends no shifts (`fires` empty) reads as no shifts."""
    if not reply.fires:
        return [(at, None) for at in reply.fire_times]
    return [(fire.at, _DST_SHIFTS.get(fire.shift)) for fire in reply.fires]
