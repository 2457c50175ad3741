"""Translation between the agent's records and events and `omnix.v1` messages."""

from __future__ import annotations

import json
from collections.abc import Sequence

from omnix.agent.security.sharing import Share
from omnix.agent.store.pipelines import PipelineRecord, VersionRecord
from omnix.agent.store.runs import RunRecord, SequencedEvent
from omnix.shared.events import NodeLog, NodeStateChanged
from omnix.shared.status import NodeStatus, RunStatus
from omnix.v1 import pipeline_pb2, run_pb2, status_pb2

RUN_STATUS: dict[RunStatus, status_pb2.RunStatus] = {
    s: getattr(status_pb2, f"RUN_STATUS_{s.name}") for s in RunStatus
}
NODE_STATUS: dict[NodeStatus, status_pb2.NodeStatus] = {
    s: getattr(status_pb2, f"NODE_STATUS_{s.name}") for s in NodeStatus
}


def pipeline_message(
    record: PipelineRecord, *, scheduled: bool, shares: Sequence[Share] = ()
) -> pipeline_pb2.Pipeline:
    """A deployed pipeline as the wire shows it."""
    return pipeline_pb2.Pipeline(
        name=record.name,
        description=record.description,
        latest_version=record.latest_version,
        created_at=record.created_at,
        updated_at=record.updated_at,
        scheduled=scheduled,
        owner=record.owner,
        shares=[
            pipeline_pb2.PipelineShare(
                user=share.user,
                role=share.role.value,
                shared_by=share.shared_by,
                shared_at=share.shared_at,
            )
            for share in shares
        ],
    )


def version_message(record: VersionRecord) -> pipeline_pb2.PipelineVersion:
    """One stored version as the wire shows it."""
    return pipeline_pb2.PipelineVersion(
        version=record.version,
        deployed_at=record.deployed_at,
        source_sha256=record.source_sha256,
        source=record.source,
    )


def run_message(record: RunRecord) -> run_pb2.Run:
    """A run and its nodes as the wire shows them."""
    return run_pb2.Run(
        run_id=record.run_id,
        pipeline=record.pipeline,
        version=record.version,
        status=RUN_STATUS[record.status],
        reason=record.reason,
        params_json=json.dumps(record.params),
        created_at=record.created_at,
        started_at=record.started_at or 0.0,
        finished_at=record.finished_at or 0.0,
        trigger=record.trigger,
        started_by=record.started_by,
        nodes=[
            run_pb2.NodeResult(
                node_id=n.node_id,
                status=NODE_STATUS[n.status],
                attempts=n.attempts,
                duration_s=n.duration_s,
                output_json=n.output_json or "",
                error=n.error or "",
                queue_wait_s=n.queue_wait_s,
            )
            for n in record.nodes
        ],
    )


def event_message(item: SequencedEvent) -> run_pb2.WatchRunResponse:
    """One sequenced run event as a WatchRun message."""
    seq, event = item
    message = run_pb2.WatchRunResponse(run_id=event.run_id, sequence=seq)
    if isinstance(event, NodeLog):
        message.log.CopyFrom(
            run_pb2.NodeLogChunk(
                node_id=event.node_id, stream=event.stream, text=event.text, at=event.at
            )
        )
    elif isinstance(event, NodeStateChanged):
        message.node_state.CopyFrom(
            run_pb2.NodeStateChange(
                node_id=event.node_id,
                status=NODE_STATUS[event.status],
                attempt=event.attempt,
                at=event.at,
                duration_s=event.duration_s,
                error=event.error or "",
                queue_wait_s=event.queue_wait_s,
            )
        )
    else:
        message.run_state.CopyFrom(
            run_pb2.RunStateChange(
                status=RUN_STATUS[event.status], at=event.at, reason=event.reason or ""
            )
        )
    return message
