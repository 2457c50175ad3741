"""What the agent tells the TUI, as plain values: summaries of pipelines, runs, schedules
and the agent, and `AgentError`.

Kept apart from `omnix.tui.session` so screens can name these types without importing
gRPC and protobuf, which cost a tenth of a second at start-up; the session (and with it
gRPC) is imported by the worker that first talks to the agent.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeGuard

from omnix.shared.status import NodeStatus, RunStatus


class AgentError(Exception):
    """The agent could not be reached or refused a request; the message says why."""


@dataclass(frozen=True, slots=True)
class PipelineSummary:
    """A deployed pipeline as the pipelines screen lists it."""

    name: str
    description: str
    latest_version: int
    updated_at: float
    scheduled: bool


@dataclass(frozen=True, slots=True)
class NodeSummary:
    node_id: str
    status: NodeStatus
    attempts: int
    duration_s: float | None
    error: str


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run as the runs screen lists it (nodes in pipeline order)."""

    run_id: str
    pipeline: str
    version: int
    status: RunStatus
    reason: str
    trigger: str
    created_at: float
    started_at: float
    finished_at: float
    nodes: tuple[NodeSummary, ...]

    @property
    def duration_s(self) -> float | None:
        if self.started_at and self.finished_at:
            return self.finished_at - self.started_at
        return None


@dataclass(frozen=True, slots=True)
class ScheduleSummary:
    """When a deployed pipeline fires."""

    pipeline: str
    cron: str
    every_s: float
    timezone: str
    catchup: str
    paused: bool
    next_fire_at: float

    @property
    def spec(self) -> str:
        return self.cron if self.cron else f"every {self.every_s:g}s"


@dataclass(frozen=True, slots=True)
class AgentSummary:
    """The agent's own status."""

    version: str
    uptime_s: float
    listen_addresses: tuple[str, ...]
    pipelines: int
    running_runs: int
    queued_runs: int
    store_ok: bool
    store_detail: str
    license_tier: str
    pid: int
    state_dir: str
    alerts: tuple[AlertSummary, ...] = ()


@dataclass(frozen=True, slots=True)
class AlertSummary:
    """An alert firing on the agent."""

    rule: str
    key: str
    severity: str
    message: str
    fired_at: float


@dataclass(frozen=True, slots=True)
class PipelineUsage:
    """One pipeline's usage since some time, with its cost when the agent has prices."""

    pipeline: str
    runs: int
    cpu_ms: int
    cost: str
    """Decimal text; empty without prices."""
    currency: str


@dataclass(frozen=True, slots=True)
class LimitUsage:
    """One counted quota of the tier in force: its allowance (None: unlimited) and how much
    is used (today, for per-day limits; None when the agent does not count it)."""

    name: str
    allowed: int | None
    used: int | None


@dataclass(frozen=True, slots=True)
class LicenseSummary:
    """The license in force as the agent judges it (`GetLicense`)."""

    tier: str
    state: str
    """valid, expiring, expired, invalid or absent."""
    message: str
    customer: str
    seats: int
    """Users licensed; 0 = as many as the tier allows."""
    issued_at: float
    expires_at: float
    days_left: int | None
    license_id: str
    limits: tuple[LimitUsage, ...]
    languages: tuple[str, ...]
    features: tuple[tuple[str, bool], ...]
    """(feature, included) for every feature."""

    @property
    def warning(self) -> bool:
        """Expiring within 14 days, or no longer holding (the agent runs as Free)."""
        return self.state in ("expiring", "expired", "invalid")


@dataclass(frozen=True, slots=True)
class NodeOutput:
    """A node's output as the output view shows it: a table's first rows, or a value as
    indented JSON text. A large output is read only in part (`complete` is False)."""

    node_id: str
    columns: tuple[str, ...]
    """A table's columns, in first-seen order; empty for a value that is not a table."""
    rows: tuple[tuple[object, ...], ...]
    """The rows read (at most the view's limit), one value per column, None where absent."""
    row_count: int | None
    """Rows in the whole table; None when only its start was read."""
    text: str
    """A value that is not a table, as JSON text."""
    complete: bool
    total_bytes: int

    @property
    def is_table(self) -> bool:
        return bool(self.columns)


def node_output(
    node_id: str, text: str, *, complete: bool, total_bytes: int, max_rows: int
) -> NodeOutput:
    """The view of an output's JSON text (all of it, or its start when not `complete`).
    Tables are lists of row objects; of a cut list, the whole rows before the cut count."""
    rows: list[dict[str, object]]
    if complete:
        value = json.loads(text)
        if not _is_rows(value):
            pretty = json.dumps(value, indent=2, ensure_ascii=False)
            return NodeOutput(node_id, (), (), None, pretty, True, total_bytes)
        rows, row_count = value[:max_rows], len(value)
    else:
        rows = _leading_rows(text, max_rows)
        if not rows:
            return NodeOutput(node_id, (), (), None, text + " …", False, total_bytes)
        row_count = None
    columns = tuple(dict.fromkeys(key for row in rows for key in row))
    table = tuple(tuple(row.get(column) for column in columns) for row in rows)
    return NodeOutput(node_id, columns, table, row_count, "", complete, total_bytes)


def _is_rows(value: object) -> TypeGuard[list[dict[str, object]]]:
    return isinstance(value, list) and bool(value) and all(isinstance(r, dict) for r in value)


def _leading_rows(text: str, limit: int) -> list[dict[str, object]]:
    """The whole row objects at the start of a cut `[{...}, {...}, ...` text."""
    decoder = json.JSONDecoder()
    at = len(text) - len(text.lstrip())
    if not text.startswith("[", at):
        return []
    at += 1
    rows: list[dict[str, object]] = []
    while len(rows) < limit:
        while at < len(text) and text[at] in " \t\r\n,":
            at += 1
        try:
            row, at = decoder.raw_decode(text, at)
        except json.JSONDecodeError:
            break  # the cut
        if not isinstance(row, dict):
            return []
        rows.append(row)
    return rows


class NotSignedIn(AgentError):
    """The agent wants an identity the client did not send (or one that expired)."""


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the agent takes the TUI's calls for."""

    user: str
    role: str
    via: str
    tier: str


@dataclass(frozen=True, slots=True)
class AccessSummary:
    """The access view's tables, each a list of rows of text; a table the caller may not
    read holds the agent's reason instead (`refused`)."""

    identity: Identity
    users: list[tuple[str, ...]]
    tokens: list[tuple[str, ...]]
    secrets: list[tuple[str, ...]]
    audit: list[tuple[str, ...]]
    refused: dict[str, str]
