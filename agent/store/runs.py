"""Runs as the agent stores them: typed records and the SQL that reads and writes them.

Writers here return `Op` lists for `Store.submit`, so callers decide what commits together.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omnix.agent.errors import BadRequest, NotFound
from omnix.agent.store.db import Op, Store
from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.outputs import KeepOutputs
from omnix.shared.status import NodeStatus, RunStatus


@dataclass(slots=True)
class NodeRecord:
    """One node of a run as stored."""

    node_id: str
    status: NodeStatus
    attempts: int = 0
    duration_s: float | None = None
    error: str | None = None
    output_json: str | None = None
    queue_wait_s: float | None = None
    output_bytes: int | None = None
    """The kept output's size when it is in a file (see `omnix.agent.store.outputs`)."""


@dataclass(slots=True)
class RunRecord:
    """A run as stored, with its nodes in pipeline order."""

    run_id: str
    pipeline: str
    version: int
    status: RunStatus
    params: dict[str, Any]
    trigger: str
    created_at: float
    source: str = ""
    source_path: str = ""
    reason: str = ""
    scheduled_for: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    nodes: list[NodeRecord] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    keep_outputs: KeepOutputs = KeepOutputs.FINAL
    output_nodes: tuple[str, ...] = ()
    started_by: str = ""
    """The user who started it ('' for the scheduler, a backfill's user otherwise)."""


SequencedEvent = tuple[int, RunEvent]
"""An event and its position in its run (from 1)."""


# -- runs ----------------------------------------------------------------------------------


def insert_run_ops(run: RunRecord) -> list[Op]:
    """The queued run with its pending nodes."""
    ops: list[Op] = [
        (
            "INSERT INTO runs (run_id, pipeline, version, source, source_path, status, reason,"
            " params_json, trigger, scheduled_for, created_at, files_json, keep_outputs,"
            " output_nodes_json, started_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                run.run_id,
                run.pipeline,
                run.version,
                run.source,
                run.source_path,
                str(run.status),
                run.reason,
                json.dumps(run.params),
                run.trigger,
                run.scheduled_for,
                run.created_at,
                json.dumps(run.files),
                str(run.keep_outputs),
                json.dumps(list(run.output_nodes)),
                run.started_by,
            ),
        )
    ]
    ops.extend(
        (
            "INSERT INTO node_states (run_id, node_id, position, status, updated_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (run.run_id, node.node_id, position, str(node.status), run.created_at),
        )
        for position, node in enumerate(run.nodes)
    )
    return ops


def event_ops(seq: int, event: RunEvent) -> list[Op]:
    """Record one event: append it to the run's history and update the current state."""
    if isinstance(event, NodeLog):
        return [
            (
                "INSERT INTO logs (run_id, seq, at, node_id, stream, text) VALUES (?,?,?,?,?,?)",
                (event.run_id, seq, event.at, event.node_id, event.stream, event.text),
            )
        ]
    if isinstance(event, NodeStateChanged):
        return [
            (
                "INSERT INTO run_events (run_id, seq, at, node_id, status, attempt, duration_s,"
                " error, queue_wait_s) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    event.run_id,
                    seq,
                    event.at,
                    event.node_id,
                    str(event.status),
                    event.attempt,
                    event.duration_s,
                    event.error,
                    event.queue_wait_s,
                ),
            ),
            (
                "UPDATE node_states SET status = ?, attempts = MAX(attempts, ?),"
                " duration_s = COALESCE(?, duration_s),"
                " queue_wait_s = COALESCE(?, queue_wait_s), error = ?, updated_at = ?"
                " WHERE run_id = ? AND node_id = ?",
                (
                    str(event.status),
                    event.attempt,
                    event.duration_s,
                    event.queue_wait_s,
                    event.error,
                    event.at,
                    event.run_id,
                    event.node_id,
                ),
            ),
        ]
    started = event.at if event.status is RunStatus.RUNNING else None
    finished = event.at if event.status.is_final else None
    return [
        (
            "INSERT INTO run_events (run_id, seq, at, status, reason) VALUES (?,?,?,?,?)",
            (event.run_id, seq, event.at, str(event.status), event.reason),
        ),
        (
            "UPDATE runs SET status = ?, reason = COALESCE(?, reason),"
            " started_at = COALESCE(started_at, ?), finished_at = COALESCE(?, finished_at)"
            " WHERE run_id = ?",
            (str(event.status), event.reason, started, finished, event.run_id),
        ),
    ]


def output_ops(run_id: str, sizes: Mapping[str, int]) -> list[Op]:
    """Record the outputs written to the store's files (`Store.outputs`) with their sizes,
    to commit with the run's end: a file is whole before the row naming it commits."""
    return [
        (
            "UPDATE node_states SET output_bytes = ? WHERE run_id = ? AND node_id = ?",
            (size, run_id, node_id),
        )
        for node_id, size in sizes.items()
    ]


MAX_SHOWN_MATCHES = 5


async def resolve_run_id(store: Store, prefix: str) -> str:
    """The id of the one run whose id starts with `prefix`, as git resolves a short commit:
    NotFound when none does, BadRequest naming the candidates when several do."""
    rows = await store.fetch_all(
        "SELECT run_id, pipeline, created_at FROM runs WHERE run_id >= ? AND run_id < ?"
        " ORDER BY run_id LIMIT ?",
        (prefix, prefix + "\U0010ffff", MAX_SHOWN_MATCHES + 1),
    )
    if not rows:
        raise NotFound(f"no run with id {prefix!r} (omnix runs lists them)")
    if len(rows) == 1 or rows[0]["run_id"] == prefix:
        return str(rows[0]["run_id"])
    shown = ", ".join(
        f"{row['run_id']} ({row['pipeline']}, "
        f"{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(row['created_at']))})"
        for row in rows[:MAX_SHOWN_MATCHES]
    )
    count = f"more than {MAX_SHOWN_MATCHES}" if len(rows) > MAX_SHOWN_MATCHES else len(rows)
    raise BadRequest(
        f"run id {prefix!r} is ambiguous: {count} runs start with it: {shown}; give more of the id"
    )


async def run_origin(store: Store, run_id: str) -> tuple[str, int, str]:
    """A run's pipeline, version and the user who started it; NotFound when none."""
    row = await store.fetch_one(
        "SELECT pipeline, version, started_by FROM runs WHERE run_id = ?", (run_id,)
    )
    if row is None:
        raise NotFound(f"no run with id {run_id!r} (omnix runs lists them)")
    return str(row["pipeline"]), int(row["version"]), str(row["started_by"])


FINAL_STATUSES = ("succeeded", "failed", "cancelled")
_RUN_TABLES = ("node_states", "run_events", "logs", "runs")
_DELETE_BATCH = 500


async def prunable_runs(
    store: Store, *, older_than: float | None, keep_per_pipeline: int | None, not_after: float
) -> list[str]:
    """Finished runs created before `older_than`, or beyond the newest `keep_per_pipeline`
    of their pipeline; never one created at or after `not_after` (today's, which the daily
    limit counts), never one still queued or running, and never the newest run of all (the
    license judges expiry against it, so a clock set back cannot revive a license)."""
    final = ", ".join("?" * len(FINAL_STATUSES))
    found: set[str] = set()
    if older_than is not None:
        rows = await store.fetch_all(
            f"SELECT run_id FROM runs WHERE status IN ({final}) AND created_at < ?",
            (*FINAL_STATUSES, min(older_than, not_after)),
        )
        found.update(row["run_id"] for row in rows)
    if keep_per_pipeline is not None:
        rows = await store.fetch_all(
            "SELECT run_id FROM (SELECT run_id, status, created_at, ROW_NUMBER() OVER"
            " (PARTITION BY pipeline ORDER BY seq DESC) AS newest FROM runs)"
            f" WHERE newest > ? AND status IN ({final}) AND created_at < ?",
            (keep_per_pipeline, *FINAL_STATUSES, not_after),
        )
        found.update(row["run_id"] for row in rows)
    newest = await store.fetch_one("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")
    if newest is not None:
        found.discard(newest["run_id"])
    return sorted(found)


async def delete_runs(store: Store, run_ids: Sequence[str]) -> None:
    """Remove runs with their nodes, outputs, events and logs, a batch per transaction."""
    for start in range(0, len(run_ids), _DELETE_BATCH):
        batch = tuple(run_ids[start : start + _DELETE_BATCH])
        marks = ", ".join("?" * len(batch))
        await store.write(
            *((f"DELETE FROM {table} WHERE run_id IN ({marks})", batch) for table in _RUN_TABLES)
        )
        await asyncio.to_thread(store.outputs.remove, batch)


async def scheduled_fires_with_runs(
    store: Store, pipeline: str, start: float, end: float
) -> set[float]:
    """The fire times from `start` to `end` for which `pipeline` already has a run."""
    rows = await store.fetch_all(
        "SELECT scheduled_for FROM runs WHERE pipeline = ? AND scheduled_for BETWEEN ? AND ?",
        (pipeline, start, end),
    )
    return {float(row["scheduled_for"]) for row in rows}


async def kept_outputs(store: Store, run_id: str) -> list[str]:
    """The nodes of a run whose outputs were kept, in the order the run lists them."""
    rows = await store.fetch_all(
        "SELECT node_id FROM node_states WHERE run_id = ?"
        " AND (output_bytes IS NOT NULL OR output_json IS NOT NULL) ORDER BY position",
        (run_id,),
    )
    return [str(row["node_id"]) for row in rows]


_PARTS_PER_READ = 8
"""How many parts of an output `output_chunks` reads from its file at once."""


@dataclass(frozen=True, slots=True)
class KeptOutput:
    """Where one kept output is and how big: a file, or (kept by an earlier version) text."""

    run_id: str
    node_id: str
    size: int
    text: str | None = None


async def kept_output(store: Store, run_id: str, node_id: str) -> KeptOutput | None:
    """One node's kept output, or None when it was not kept."""
    row = await store.fetch_one(
        "SELECT output_bytes, output_json FROM node_states WHERE run_id = ? AND node_id = ?",
        (run_id, node_id),
    )
    if row is None:
        return None
    if row["output_bytes"] is not None:
        return KeptOutput(run_id, node_id, int(row["output_bytes"]))
    text = row["output_json"]
    return None if text is None else KeptOutput(run_id, node_id, len(text.encode()), text)


async def output_chunks(store: Store, output: KeptOutput, chunk_bytes: int) -> AsyncIterator[bytes]:
    """A kept output in parts of at most `chunk_bytes`, read from its file as they are sent
    (at least one part, empty for an empty output)."""
    if output.text is not None:
        data = memoryview(output.text.encode())
        for start in range(0, max(len(data), 1), chunk_bytes):
            yield bytes(data[start : start + chunk_bytes])
        return
    # Read in larger pieces than are sent: one hop to a thread per piece, not per part.
    piece_bytes = chunk_bytes * _PARTS_PER_READ
    pieces = store.outputs.chunks(output.run_id, output.node_id, piece_bytes)
    sent = False
    try:
        while (piece := await asyncio.to_thread(next, pieces, None)) is not None:
            sent = True
            view = memoryview(piece)
            for start in range(0, len(view), chunk_bytes):
                yield bytes(view[start : start + chunk_bytes])
    except FileNotFoundError:
        raise NotFound(
            f"run {output.run_id}'s output of node {output.node_id!r} is recorded but its "
            f"file is gone ({store.outputs.path(output.run_id, output.node_id)})"
        ) from None
    finally:
        pieces.close()
    if not sent:
        yield b""


async def get_run(store: Store, run_id: str, *, with_outputs: bool = True) -> RunRecord:
    """One run with its nodes; NotFound when there is none."""
    row = await store.fetch_one("SELECT * FROM runs WHERE run_id = ?", (run_id,))
    if row is None:
        raise NotFound(f"no run with id {run_id!r} (omnix runs lists them)")
    run = _run(row)
    columns = "node_id, status, attempts, duration_s, error, queue_wait_s, output_bytes" + (
        ", output_json" if with_outputs else ", NULL AS output_json"
    )
    nodes = await store.fetch_all(
        f"SELECT {columns} FROM node_states WHERE run_id = ? ORDER BY position", (run_id,)
    )
    run.nodes = [
        NodeRecord(
            n["node_id"],
            NodeStatus(n["status"]),
            n["attempts"],
            n["duration_s"],
            n["error"],
            n["output_json"],
            n["queue_wait_s"],
            n["output_bytes"],
        )
        for n in nodes
    ]
    if with_outputs:
        for node in run.nodes:
            if node.output_bytes is not None:
                node.output_json = await asyncio.to_thread(store.outputs.read, run_id, node.node_id)
    return run


@dataclass(frozen=True, slots=True)
class RunScope:
    """The runs one caller may see: those of deployed `pipelines`, and those `user` started."""

    pipelines: frozenset[str]
    user: str


async def list_runs(
    store: Store, pipeline: str = "", limit: int = 100, scope: RunScope | None = None
) -> list[RunRecord]:
    """Runs newest first (within `scope`, when given), with their nodes but without outputs
    (two queries in all)."""
    where: list[str] = []
    params: list[Any] = []
    if pipeline:
        where.append("pipeline = ?")
        params.append(pipeline)
    if scope is not None:
        marks = ",".join("?" * len(scope.pipelines))
        where.append(f"((version > 0 AND pipeline IN ({marks})) OR started_by = ?)")
        params.extend((*sorted(scope.pipelines), scope.user))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await store.fetch_all(
        f"SELECT * FROM runs {clause} ORDER BY seq DESC LIMIT ?", (*params, limit)
    )
    runs = [_run(row) for row in rows]
    if not runs:
        return runs
    by_id = {run.run_id: run for run in runs}
    marks = ",".join("?" * len(by_id))
    nodes = await store.fetch_all(
        "SELECT run_id, node_id, status, attempts, duration_s, error, queue_wait_s"
        " FROM node_states"
        f" WHERE run_id IN ({marks}) ORDER BY run_id, position",
        list(by_id),
    )
    for n in nodes:
        by_id[n["run_id"]].nodes.append(
            NodeRecord(
                n["node_id"],
                NodeStatus(n["status"]),
                n["attempts"],
                n["duration_s"],
                n["error"],
                queue_wait_s=n["queue_wait_s"],
            )
        )
    return runs


async def runs_in_status(store: Store, statuses: Sequence[RunStatus]) -> list[RunRecord]:
    """Runs in the given statuses, oldest first, without outputs."""
    marks = ",".join("?" * len(statuses))
    rows = await store.fetch_all(
        f"SELECT run_id FROM runs WHERE status IN ({marks}) ORDER BY seq",
        [str(s) for s in statuses],
    )
    return [await get_run(store, r["run_id"], with_outputs=False) for r in rows]


async def load_events(store: Store, run_id: str) -> list[SequencedEvent]:
    """A run's recorded history, state changes and logs merged in order."""
    events: list[SequencedEvent] = []
    for r in await store.fetch_all("SELECT * FROM run_events WHERE run_id = ?", (run_id,)):
        if r["node_id"] is None:
            events.append(
                (r["seq"], RunStateChanged(run_id, RunStatus(r["status"]), r["at"], r["reason"]))
            )
        else:
            state = NodeStateChanged(
                run_id,
                r["node_id"],
                NodeStatus(r["status"]),
                r["attempt"] or 0,
                r["at"],
                r["duration_s"],
                r["error"],
                r["queue_wait_s"],
            )
            events.append((r["seq"], state))
    for r in await store.fetch_all("SELECT * FROM logs WHERE run_id = ?", (run_id,)):
        events.append((r["seq"], NodeLog(run_id, r["node_id"], r["stream"], r["text"], r["at"])))
    events.sort(key=lambda item: item[0])
    return events


async def last_seq(store: Store, run_id: str) -> int:
    """The highest event sequence recorded for a run (0 when none)."""
    row = await store.fetch_one(
        "SELECT MAX(s) AS s FROM (SELECT MAX(seq) AS s FROM run_events WHERE run_id = ?"
        " UNION ALL SELECT MAX(seq) FROM logs WHERE run_id = ?)",
        (run_id, run_id),
    )
    return int(row["s"]) if row is not None and row["s"] is not None else 0


def _run(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        run_id=row["run_id"],
        pipeline=row["pipeline"],
        version=row["version"],
        status=RunStatus(row["status"]),
        params=json.loads(row["params_json"]),
        trigger=row["trigger"],
        created_at=row["created_at"],
        source=row["source"],
        source_path=row["source_path"],
        reason=row["reason"],
        scheduled_for=row["scheduled_for"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        files=json.loads(row["files_json"]),
        keep_outputs=KeepOutputs(row["keep_outputs"]),
        output_nodes=tuple(json.loads(row["output_nodes_json"])),
        started_by=row["started_by"],
    )
