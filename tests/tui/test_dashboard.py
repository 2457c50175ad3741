"""The dashboard view: what it computes from the agent's answers, and the view on a real
agent."""

from __future__ import annotations

import asyncio
from typing import Protocol

from omnix.shared.client import AgentAddress, AgentClient
from omnix.shared.status import RunStatus
from omnix.tui.components.dashboard_screen import HOURS, DashboardScreen, build, percentile
from omnix.tui.home import HomeApp
from omnix.tui.summaries import AlertSummary, LicenseSummary, LimitUsage, PipelineUsage, RunSummary
from omnix.v1 import run_pb2
from textual.pilot import Pilot
from textual.widgets import DataTable, Sparkline, Static
from textual.widgets._footer import FooterKey

NOW = 1_800_000_000.0


class Agent(Protocol):
    @property
    def address(self) -> str: ...


def run(pipeline: str, hours_ago: float, status: RunStatus, seconds: float) -> RunSummary:
    created = NOW - hours_ago * 3600
    return RunSummary(
        "r", pipeline, 1, status, "", "manual", created, created, created + seconds, ()
    )


def test_runs_are_counted_per_hour_with_the_failure_rate() -> None:
    runs = [
        run("etl", 0.5, RunStatus.SUCCEEDED, 1),
        run("etl", 0.7, RunStatus.FAILED, 1),
        run("etl", 23.5, RunStatus.SUCCEEDED, 1),
        run("etl", 30, RunStatus.SUCCEEDED, 1),  # older than the day: left out
    ]
    board = build(runs, [], (), None, NOW)
    assert len(board.runs_per_hour) == HOURS
    assert board.runs_per_hour[-1] == 2 and board.runs_per_hour[0] == 1
    assert sum(board.runs_per_hour) == 3 and board.failure_rate == 1 / 3


def test_pipelines_show_p50_p95_and_cost_most_expensive_first() -> None:
    runs = [run("etl", 1, RunStatus.SUCCEEDED, s) for s in range(1, 21)]
    runs += [run("report", 1, RunStatus.SUCCEEDED, 5)]
    usage = [
        PipelineUsage("report", 1, 900, "3.50", "EUR"),
        PipelineUsage("etl", 20, 100, "0.25", "EUR"),
    ]
    board = build(runs, usage, (), None, NOW)
    assert [row.pipeline for row in board.pipelines] == ["report", "etl"]
    etl = board.pipelines[1]
    assert (etl.runs, etl.p50_s, etl.p95_s, etl.cost) == (20, 10, 19, "0.25")
    assert board.currency == "EUR"


def test_percentile_is_the_nearest_rank() -> None:
    assert percentile([], 0.5) is None and percentile([3.0], 0.95) == 3.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0


def test_license_usage_and_alerts_are_carried() -> None:
    license = LicenseSummary(
        "free", "absent", "", "", 0, 0.0, 0.0, None, "",
        (LimitUsage("executions per day", 100, 80), LimitUsage("users", 1, None)),
        ("python",), (),
    )  # fmt: skip
    alert = AlertSummary("daily_executions@80%", "executions_per_day", "warning", "80 of 100", 1.0)
    board = build([], [], (alert,), license, NOW)
    assert board.license == (("executions per day", 80, 100),) and board.alerts == (alert,)


async def loaded(pilot: Pilot[None]) -> None:
    await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
    await pilot.pause()


async def test_the_dashboard_view_shows_a_real_agents_last_day(agent: Agent) -> None:
    source = "omnix: 1\nname: dashed\nnodes:\n  - {id: a, lang: python, code: '1'}\n"
    with AgentClient(AgentAddress(agent.address)) as client:
        request = run_pb2.StartRunRequest(pipeline_source=source, source_path="/d/p.yaml")
        run_id = client.call(client.runs.StartRun, request).run.run_id
        for _ in client.watch(run_id):
            pass
    app = HomeApp(agent.address)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("6")
        await loaded(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        rows = [[str(c) for c in screen.query_one(DataTable).get_row_at(i)]
                for i in range(screen.query_one(DataTable).row_count)]  # fmt: skip
        assert any(row[0] == "dashed" and row[1] == "1" for row in rows), rows
        assert sum(screen.query_one(Sparkline).data or []) >= 1
        text = str(screen.query_one("#dashboard-runs", Static).content)
        assert text.startswith("runs per hour, last 24 h:")
        keys = list(screen.query(FooterKey))
        assert {key.description for key in keys} >= {"Dash", "Quit"}
        assert all(key.region.right <= 80 for key in keys), [
            (k.description, k.region) for k in keys
        ]
