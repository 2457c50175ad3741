"""The dashboard: runs per hour, failure rate, durations per pipeline, cost, today's use of
the license and the alerts firing, refreshed every few seconds while shown.

Built from what the agent already answers (ListRuns, GetUsage, GetStatus, GetLicense);
the charts are block-character sparklines, which read the same without colour.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import TYPE_CHECKING

from omnix.shared.status import RunStatus
from omnix.tui.components.agent_view import AgentView
from omnix.tui.summaries import AlertSummary, LicenseSummary, PipelineUsage, RunSummary
from textual.app import ComposeResult
from textual.widgets import DataTable, Sparkline, Static

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession

HOURS = 24
RUNS_READ = 1000
"""The newest runs the dashboard reads: the last day of a busy agent."""


@dataclass(frozen=True, slots=True)
class PipelineRow:
    """One pipeline over the last day."""

    pipeline: str
    runs: int
    failed: int
    p50_s: float | None
    p95_s: float | None
    cost: str


@dataclass(frozen=True, slots=True)
class Dashboard:
    """Everything the dashboard shows, computed from the agent's answers."""

    runs_per_hour: tuple[int, ...]
    """Runs created in each of the last 24 hours, oldest first."""
    runs: int
    failed: int
    pipelines: tuple[PipelineRow, ...]
    currency: str
    license: tuple[tuple[str, int, int | None], ...]
    """(limit, used today, allowed or None) for each counted limit."""
    alerts: tuple[AlertSummary, ...]

    @property
    def failure_rate(self) -> float | None:
        finished = self.runs
        return None if not finished else self.failed / finished


def percentile(values: list[float], share: float) -> float | None:
    """The `share` quantile (nearest rank) of `values`; None when there are none."""
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1))
    return ordered[index]


def build(
    runs: list[RunSummary],
    usage: list[PipelineUsage],
    alerts: tuple[AlertSummary, ...],
    license: LicenseSummary | None,
    now: float,
) -> Dashboard:
    """The dashboard of the last `HOURS` hours before `now`."""
    start = now - HOURS * 3600
    recent = [run for run in runs if run.created_at >= start]
    per_hour = [0] * HOURS
    for run in recent:
        per_hour[min(HOURS - 1, int((run.created_at - start) // 3600))] += 1
    finished = [run for run in recent if run.status.is_final]
    costs = {row.pipeline: row.cost for row in usage}
    rows = []
    for name in sorted({run.pipeline for run in recent}):
        mine = [run for run in finished if run.pipeline == name]
        durations = [d for run in mine if (d := run.duration_s) is not None]
        failed = sum(1 for run in mine if run.status is RunStatus.FAILED)
        rows.append(
            PipelineRow(
                name,
                len(mine),
                failed,
                percentile(durations, 0.5),
                percentile(durations, 0.95),
                costs.get(name, ""),
            )
        )
    # Most expensive first when priced, else the busiest.
    rows.sort(key=lambda r: (-Decimal(r.cost or 0), -r.runs, r.pipeline))
    limits: tuple[tuple[str, int, int | None], ...] = ()
    if license is not None:
        limits = tuple(
            (limit.name, limit.used, limit.allowed)
            for limit in license.limits
            if limit.used is not None
        )
    return Dashboard(
        tuple(per_hour),
        len(finished),
        sum(1 for run in finished if run.status is RunStatus.FAILED),
        tuple(rows),
        usage[0].currency if usage else "",
        limits,
        alerts,
    )


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}s"


def _bar(used: int, allowed: int | None, width: int = 20) -> str:
    if not allowed:
        return f"{used:,} (unlimited)"
    filled = min(width, round(width * used / allowed))
    return f"{'█' * filled}{'░' * (width - filled)} {used:,} of {allowed:,}"


class DashboardScreen(AgentView[Dashboard]):
    """The last day at a glance; refreshed every 5 seconds while shown."""

    REFRESH_S = 5.0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="dashboard-runs")
        yield Sparkline([0] * HOURS, id="dashboard-sparkline")
        yield DataTable(id="dashboard-pipelines", cursor_type="row", zebra_stripes=True)
        yield Static("", id="dashboard-license")
        yield Static("", id="dashboard-alerts")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("pipeline", "runs", "failed", "p50", "p95", "cost")
        super().on_mount()

    def fetch(self, session: AgentSession) -> Dashboard:
        now = time.time()
        runs = session.runs(limit=RUNS_READ)
        usage = session.usage_by_pipeline(now - HOURS * 3600)
        status = session.status()
        try:
            license = session.license()
        except Exception:  # An agent without LicenseService: the rest still shows.
            license = None
        return build(runs, usage, status.alerts, license, now)

    def show(self, data: Dashboard) -> None:
        rate = "—" if data.failure_rate is None else f"{data.failure_rate:.0%}"
        self.query_one("#dashboard-runs", Static).update(
            f"runs per hour, last {HOURS} h: {sum(data.runs_per_hour):,} runs, "
            f"{data.failed:,} failed ({rate} failure rate)"
        )
        self.query_one(Sparkline).data = list(data.runs_per_hour)
        table = self.query_one(DataTable)
        table.clear()
        for row in data.pipelines:
            cost = "—"
            if row.cost:
                cents = Decimal(row.cost).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
                cost = f"{cents} {data.currency}".strip()
            table.add_row(
                row.pipeline,
                str(row.runs),
                str(row.failed),
                _seconds(row.p50_s),
                _seconds(row.p95_s),
                cost,
            )
        self.query_one("#dashboard-license", Static).update(
            "\n".join(f"{name:>20}  {_bar(used, allowed)}" for name, used, allowed in data.license)
            or "license usage: not reported by this agent"
        )
        alerts = self.query_one("#dashboard-alerts", Static)
        if data.alerts:
            alerts.update("\n".join(f"⚠ {a.severity} {a.rule}: {a.message}" for a in data.alerts))
            alerts.add_class("-firing")
        else:
            alerts.update("✔ no alerts firing")
            alerts.remove_class("-firing")
        self.sub_title = f"last {HOURS} h"
