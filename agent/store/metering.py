"""Usage records: what each node attempt cost, append-only, rolled up on demand.

One row per attempt, written as the attempt ends (not with the run's end), so an agent
killed mid-run keeps what its finished attempts used. Rows are never updated or deleted
(triggers refuse it) and outlive run retention: they are what usage and cost reports
are built from. Sums are exact: integers for bytes, CPU and wall time kept in
milliseconds as integers, so totals match the rows to the last unit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from omnix.agent.store.db import Op, Store


@dataclass(frozen=True, slots=True)
class NodeUsage:
    """One node attempt's usage record."""

    run_id: str
    pipeline: str
    node_id: str
    lang: str
    attempt: int
    agent: str
    started_at: float
    """Seconds since the Unix epoch when the attempt's code started."""
    wall_ms: int
    queue_wait_ms: int
    cpu_ms: int | None
    """User + system CPU of the worker for the attempt; None where the OS cannot tell."""
    peak_rss_bytes: int | None
    bytes_in: int
    bytes_out: int
    log_bytes: int
    status: str
    """How the attempt ended: succeeded, failed, timed_out or cancelled."""
    rows_in: int | None = None
    """Rows of the upstream tables it read; None when not known."""
    rows_out: int | None = None
    """Rows of the table it produced; None for a JSON output or when not known."""


def usage_ops(record: NodeUsage) -> list[Op]:
    """Append one record."""
    return [
        (
            "INSERT INTO node_usage (run_id, pipeline, node_id, lang, attempt, agent, started_at,"
            " wall_ms, queue_wait_ms, cpu_ms, peak_rss_bytes, bytes_in, bytes_out, log_bytes,"
            " status, rows_in, rows_out) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.run_id,
                record.pipeline,
                record.node_id,
                record.lang,
                record.attempt,
                record.agent,
                record.started_at,
                record.wall_ms,
                record.queue_wait_ms,
                record.cpu_ms,
                record.peak_rss_bytes,
                record.bytes_in,
                record.bytes_out,
                record.log_bytes,
                record.status,
                record.rows_in,
                record.rows_out,
            ),
        )
    ]


Grouping = Literal["pipeline", "node", "day", "agent", "lang", "run"]
_GROUPS: dict[str, tuple[str, ...]] = {
    "pipeline": ("pipeline",),
    "node": ("pipeline", "node_id"),
    "day": ("date(started_at, 'unixepoch') AS day",),
    "agent": ("agent",),
    "lang": ("lang",),
    "run": ("run_id", "pipeline"),
}


@dataclass(frozen=True, slots=True)
class UsageTotal:
    """Usage summed over one group (a pipeline, a node, a day, ...)."""

    key: tuple[str, ...]
    runs: int
    attempts: int
    failed_attempts: int
    wall_ms: int
    queue_wait_ms: int
    cpu_ms: int
    peak_rss_bytes: int
    """The largest peak of any attempt in the group."""
    bytes_in: int
    bytes_out: int
    log_bytes: int
    memory_byte_ms: int
    """Each attempt's peak memory times its wall time, summed: what GB-hours are priced by."""
    rows_in: int = 0
    rows_out: int = 0
    """Rows read from upstream tables and rows produced, over the attempts that know them."""


async def usage_totals(
    store: Store,
    by: Grouping,
    since: float | None = None,
    until: float | None = None,
    pipelines: Collection[str] | None = None,
) -> list[UsageTotal]:
    """Usage records (of `pipelines`, when given) summed per `by`, from `since` up to
    `until` (attempt start times), largest CPU first."""
    columns = _GROUPS[by]
    keys = [column.rsplit(" AS ", 1)[-1] for column in columns]
    where: list[str] = []
    params: list[float | str] = []
    if since is not None:
        where.append("started_at >= ?")
        params.append(since)
    if until is not None:
        where.append("started_at < ?")
        params.append(until)
    if pipelines is not None:
        where.append(f"pipeline IN ({','.join('?' * len(pipelines))})")
        params.extend(sorted(pipelines))
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    rows = await store.fetch_all(
        f"SELECT {', '.join(columns)}, COUNT(DISTINCT run_id) AS runs, COUNT(*) AS attempts,"
        " SUM(status != 'succeeded') AS failed, SUM(wall_ms) AS wall, SUM(queue_wait_ms) AS"
        " queued, COALESCE(SUM(cpu_ms), 0) AS cpu, COALESCE(MAX(peak_rss_bytes), 0) AS peak,"
        " SUM(bytes_in) AS bytes_in, SUM(bytes_out) AS bytes_out, SUM(log_bytes) AS logs,"
        " COALESCE(SUM(peak_rss_bytes * wall_ms), 0) AS memory,"
        " COALESCE(SUM(rows_in), 0) AS rows_in, COALESCE(SUM(rows_out), 0) AS rows_out"
        f" FROM node_usage {clause} GROUP BY {', '.join(keys)}"
        f" ORDER BY cpu DESC, wall DESC, {', '.join(keys)}",
        params,
    )
    return [
        UsageTotal(
            key=tuple(str(row[key]) for key in keys),
            runs=row["runs"],
            attempts=row["attempts"],
            failed_attempts=row["failed"],
            wall_ms=row["wall"],
            queue_wait_ms=row["queued"],
            cpu_ms=row["cpu"],
            peak_rss_bytes=row["peak"],
            bytes_in=row["bytes_in"],
            bytes_out=row["bytes_out"],
            log_bytes=row["logs"],
            memory_byte_ms=row["memory"],
            rows_in=row["rows_in"],
            rows_out=row["rows_out"],
        )
        for row in rows
    ]
