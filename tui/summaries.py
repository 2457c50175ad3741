"""What the agent tells the TUI, as plain values: summaries of pipelines, runs, schedules
and the agent, and `AgentError`.

Kept apart from `omnix.tui.session` so screens can name these types without importing
gRPC and protobuf, which cost a tenth of a second at start-up; the session (and with it
gRPC) is imported by the worker that first talks to the agent.
"""

from __future__ import annotations

from dataclasses import dataclass

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
