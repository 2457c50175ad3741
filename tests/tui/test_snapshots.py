"""SVG snapshots of the editor and the agent views: what a user sees at common sizes."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import omnix.tui
import pytest
from omnix.shared.events import NodeLog, NodeStateChanged, RunEvent, RunStateChanged
from omnix.shared.status import NodeStatus, RunStatus
from omnix.tui.app import EditorApp
from omnix.tui.components.access_screen import AccessScreen, LoginDialog
from omnix.tui.components.dashboard_screen import DashboardScreen, build
from omnix.tui.components.license_screen import LicenseScreen
from omnix.tui.components.output_screen import OutputScreen
from omnix.tui.components.runs_screen import RunsScreen
from omnix.tui.document import PipelineDocument
from omnix.tui.home import HomeApp
from omnix.tui.session import RunSummary
from omnix.tui.summaries import (
    AccessSummary,
    AlertSummary,
    Identity,
    LicenseSummary,
    LimitUsage,
    NodeOutput,
    PipelineUsage,
    node_output,
)
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, TabbedContent

SnapCompare = Callable[..., bool]

DANA = Identity("dana", "owner", "socket", "Team")
"""Who the header names: the agent's OS user differs between machines, so it is pinned."""


def signed_in_as_dana(app: App[None]) -> None:
    assert isinstance(app, HomeApp)
    app.show_identity(DANA)


class Agent(Protocol):
    """The `agent` fixture: a real agent process and its address."""

    @property
    def address(self) -> str: ...


@pytest.fixture
def relative_editor(pipeline_file: Path, monkeypatch: pytest.MonkeyPatch) -> EditorApp:
    """The editor on `sales.yaml` by a relative path, so titles do not name a temp folder."""
    monkeypatch.chdir(pipeline_file.parent)
    return EditorApp(PipelineDocument.load(Path(pipeline_file.name)))


async def settled(pilot: Pilot[None]) -> None:
    """Validation done and cursors frozen, so every run draws the same frame."""
    await pilot.app.workers.wait_for_complete()
    for field in pilot.app.query(Input):
        field.cursor_blink = False
    await pilot.pause()


@pytest.fixture
def monochrome_editor(pipeline_file: Path, monkeypatch: pytest.MonkeyPatch) -> EditorApp:
    """The editor as NO_COLOR users see it."""
    monkeypatch.chdir(pipeline_file.parent)
    monkeypatch.setenv("NO_COLOR", "1")
    return EditorApp(PipelineDocument.load(Path(pipeline_file.name)))


class TestEditorSnapshots:
    """The editor screen as drawn, at the smallest and a roomy terminal."""

    def test_editor_at_80x24(self, snap_compare: SnapCompare, relative_editor: EditorApp) -> None:
        """The example pipeline fits an 80x24 terminal."""
        assert snap_compare(relative_editor, terminal_size=(80, 24), run_before=settled)

    def test_editor_at_120x40(self, snap_compare: SnapCompare, relative_editor: EditorApp) -> None:
        """A roomy terminal centres the graph."""
        assert snap_compare(relative_editor, terminal_size=(120, 40), run_before=settled)

    def test_cycle_at_120x40(self, snap_compare: SnapCompare, relative_editor: EditorApp) -> None:
        """A cycle flags its nodes and lists the problem."""

        async def make_cycle(pilot: Pilot[None]) -> None:
            await settled(pilot)
            await pilot.press("right", "right", "c", "left", "left", "enter")
            await settled(pilot)
            pilot.app.clear_notifications()
            await pilot.pause()

        assert snap_compare(relative_editor, terminal_size=(120, 40), run_before=make_cycle)

    def test_run_states_without_colour_at_80x24(
        self, snap_compare: SnapCompare, monochrome_editor: EditorApp
    ) -> None:
        """With NO_COLOR, run states still read from their symbols and the selection from
        its heavy border."""

        async def mid_run(pilot: Pilot[None]) -> None:
            await settled(pilot)
            app = pilot.app
            assert isinstance(app, EditorApp)
            app.deliver(NodeStateChanged("r1", "extract", NodeStatus.SUCCEEDED, 1, 0.0, 0.31))
            app.deliver(NodeStateChanged("r1", "totals", NodeStatus.FAILED, 1, 0.0, 2.5))
            app.deliver(NodeStateChanged("r1", "report", NodeStatus.UPSTREAM_FAILED, 1, 0.0))
            await pilot.press("right")
            await pilot.pause()

        assert snap_compare(monochrome_editor, terminal_size=(80, 24), run_before=mid_run)


RUN = "r-5f0c2a9e41d7"
"""A fixed run id: the agent's are random, and the title and table show them."""

MID_RUN_EVENTS: list[RunEvent] = [
    RunStateChanged(RUN, RunStatus.RUNNING, 0.0),
    NodeStateChanged(RUN, "extract", NodeStatus.RUNNING, 1, 0.0),
    NodeLog(RUN, "extract", "stdout", "reading orders.csv\n", 0.1),
    NodeLog(RUN, "extract", "stdout", "3 rows, 2 columns\n", 0.2),
    NodeLog(RUN, "extract", "stderr", "warning: amount has 1 value under 10\n", 0.25),
    NodeStateChanged(RUN, "extract", NodeStatus.SUCCEEDED, 1, 0.31, 0.31),
    NodeStateChanged(RUN, "totals", NodeStatus.RUNNING, 1, 0.32),
]
"""A run of sales.yaml as the agent streams it, stopped mid-way: extract succeeded (with
output), totals running, report still pending."""


class TestEditorRunSnapshots:
    """The editor while a run is in progress on the agent."""

    @pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
    def test_run_in_progress(
        self, snap_compare: SnapCompare, relative_editor: EditorApp, size: tuple[int, int]
    ) -> None:
        """Done, running and pending boxes differ, and the log panel streams output."""

        async def mid_run(pilot: Pilot[None]) -> None:
            await settled(pilot)
            app = pilot.app
            assert isinstance(app, EditorApp)
            # What `r` does before the agent answers, then the agent's events, delivered
            # as the run worker delivers them.
            app.show_run_queued()
            app.run_id = RUN
            for event in MID_RUN_EVENTS:
                app.deliver(event)
            await settled(pilot)

        assert snap_compare(relative_editor, terminal_size=size, run_before=mid_run)


RECORDED_RUNS = [
    RunSummary(RUN, "sales-report", 3, RunStatus.RUNNING, "", "manual",
               1795600800.0, 1795600800.5, 0.0, ()),
    RunSummary("r-0b8e7d3c2a11", "sales-report", 3, RunStatus.FAILED, "node failed",
               "schedule", 1795590000.0, 1795590000.2, 1795590002.9, ()),
    RunSummary("r-9a4417c0e6f2", "daily", 1, RunStatus.SUCCEEDED, "", "schedule",
               1795586400.0, 1795586400.1, 1795586401.4, ()),
    RunSummary("r-77d1b2f09c34", "daily", 1, RunStatus.CANCELLED, "cancelled by user",
               "manual", 1795500000.0, 1795500000.3, 1795500210.0, ()),
    RunSummary("r-3c6a0e5d8b90", "sales-report", 2, RunStatus.QUEUED, "", "api",
               1795600801.0, 0.0, 0.0, ()),
]  # fmt: skip
"""Runs as `ListRuns` reports them, with fixed ids and times."""


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time is UTC, so start times draw the same on every machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


class TestRunsViewSnapshots:
    """The runs view of `omnix`, connected to a real agent."""

    @pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
    def test_runs_view(
        self, snap_compare: SnapCompare, agent: Agent, utc: None, size: tuple[int, int]
    ) -> None:
        """Each run's status reads from its symbol; times are in local time."""

        async def recorded_runs(pilot: Pilot[None]) -> None:
            await pilot.press("2")
            await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
            signed_in_as_dana(pilot.app)
            screen = pilot.app.screen
            assert isinstance(screen, RunsScreen)
            # The agent's own runs have random ids and times: hold the refresh and show
            # recorded ones through the message the fetch worker posts.
            assert screen.refresh_timer is not None
            screen.refresh_timer.pause()
            screen.post_message(RunsScreen.Loaded(RECORDED_RUNS))
            await pilot.pause()

        assert snap_compare(HomeApp(agent.address), terminal_size=size, run_before=recorded_runs)


RECORDED_LICENSE = LicenseSummary(
    tier="team",
    state="expiring",
    message="the Team license for Acme Analytics expires in 9 days (2026-12-04 00:00 UTC)",
    customer="Acme Analytics",
    seats=5,
    issued_at=1764806400.0,
    expires_at=1796342400.0,
    days_left=9,
    license_id="7c1e94a0b2d35f68",
    limits=(
        LimitUsage("users", 5, None),
        LimitUsage("pipelines", 100, 12),
        LimitUsage("executions per day", 1000, 347),
        LimitUsage("custom connectors", 5, 0),
    ),
    languages=("javascript", "python", "r", "sql"),
    features=(("distributed execution", True), ("team collaboration", True), ("SSO", False)),
)
"""A Team license as `GetLicense` reports it, nine days before expiry."""


class TestLicenseViewSnapshots:
    """The license view of `omnix`, connected to a real agent."""

    def test_expiring_license_at_80x24(self, snap_compare: SnapCompare, agent: Agent) -> None:
        """Terms, today's usage and the header's warning fit 80x24."""

        async def recorded_license(pilot: Pilot[None]) -> None:
            await pilot.press("5")
            await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
            signed_in_as_dana(pilot.app)
            screen = pilot.app.screen
            assert isinstance(screen, LicenseScreen) and screen.refresh_timer is not None
            # The test agent runs unlicensed: show a licensed agent's answer instead.
            screen.refresh_timer.pause()
            screen.post_message(LicenseScreen.Loaded(RECORDED_LICENSE))
            await pilot.pause()

        assert snap_compare(
            HomeApp(agent.address), terminal_size=(80, 24), run_before=recorded_license
        )


class OutputApp(App[None]):
    """The output view on its own, with the app's stylesheet."""

    CSS_PATH = Path(omnix.tui.__file__).with_name("omnix.tcss")

    def __init__(self, output: NodeOutput) -> None:
        super().__init__()
        self.output = output

    def on_mount(self) -> None:
        self.push_screen(OutputScreen("3f9c2a7d1e5b4c8a", self.output))


SALES_ROWS = [
    {"region": region, "orders": orders, "amount": amount, "note": note}
    for region, orders, amount, note in [
        ("north", 1204, 18231.5, None),
        ("south", 988, 15002.25, "late data"),
        ("east", 9007199254740993, 0.1, ""),
        ("west", 0, None, "Zürich"),
    ]
]


class TestOutputViewSnapshots:
    """A node's table output as the output view draws it."""

    @pytest.mark.parametrize("complete", [True, False], ids=["whole", "cut"])
    def test_table_at_80x24(self, snap_compare: SnapCompare, complete: bool) -> None:
        text = json.dumps(SALES_ROWS * 10, ensure_ascii=False)
        shown = text if complete else text[: text.index('"west"', 800)]
        output = node_output(
            "totals", shown, complete=complete, total_bytes=len(text.encode()), max_rows=1000
        )
        assert snap_compare(OutputApp(output), terminal_size=(80, 24))


RECORDED_DASHBOARD = build(
    [
        RunSummary(
            f"r{i}",
            pipeline,
            1,
            status,
            "",
            "schedule",
            base - hours * 3600,
            base - hours * 3600,
            base - hours * 3600 + seconds,
            (),
        )
        for i, (pipeline, hours, status, seconds) in enumerate(
            [("nightly-etl", h / 2, RunStatus.SUCCEEDED, 40 + h) for h in range(0, 40)]
            + [("nightly-etl", 3.2, RunStatus.FAILED, 12.0), ("report", 1.5, RunStatus.FAILED, 3.0)]
            + [("report", h, RunStatus.SUCCEEDED, 2.5) for h in (2, 5, 9, 13)]
        )
        for base in [1_800_000_000.0]
    ],
    [
        PipelineUsage("nightly-etl", 41, 812_000, "4.180000", "EUR"),
        PipelineUsage("report", 6, 9_000, "0.070000", "EUR"),
    ],
    (AlertSummary("pipeline_failures", "report", "warning", "the last run of report failed", 1.0),),
    RECORDED_LICENSE,
    1_800_000_000.0,
)
"""A day of two pipelines as the dashboard computes it, with one alert firing."""


class TestDashboardSnapshots:
    """The dashboard of `omnix` (6), connected to a real agent, showing a recorded day."""

    @pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
    def test_dashboard(
        self, snap_compare: SnapCompare, agent: Agent, size: tuple[int, int]
    ) -> None:
        async def recorded_day(pilot: Pilot[None]) -> None:
            await pilot.press("6")
            await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
            signed_in_as_dana(pilot.app)
            screen = pilot.app.screen
            assert isinstance(screen, DashboardScreen) and screen.refresh_timer is not None
            screen.refresh_timer.pause()
            screen.post_message(DashboardScreen.Loaded(RECORDED_DASHBOARD))
            await pilot.pause()

        assert snap_compare(HomeApp(agent.address), terminal_size=size, run_before=recorded_day)


RECORDED_ACCESS = AccessSummary(
    DANA,
    users=[("dana", "owner", "no", "agent"), ("li", "developer", "yes", "dana")],
    tokens=[("5c0f3a9e21b7", "ci", "developer", "sales", "active")],
    secrets=[("DB_PASSWORD", "dana")],
    audit=[
        ("12", "li", "StartRun", "pipeline_name=sales", "allowed"),
        ("11", "dana", "SharePipeline", "name=sales user=li role=developer", "allowed"),
        ("10", "li", "DeletePipeline", "name=sales", "denied"),
    ],
    refused={},
)
"""An owner's access view: two users, one scoped token, one secret, the audit's tail."""


class TestAccessSnapshots:
    """The access view of `omnix` (7) and the login prompt."""

    @pytest.mark.parametrize("tab", ["users", "audit"])
    def test_access_view_at_80x24(self, snap_compare: SnapCompare, agent: Agent, tab: str) -> None:
        async def recorded_access(pilot: Pilot[None]) -> None:
            await pilot.press("7")
            await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
            signed_in_as_dana(pilot.app)
            screen = pilot.app.screen
            assert isinstance(screen, AccessScreen) and screen.refresh_timer is not None
            screen.refresh_timer.pause()
            screen.post_message(AccessScreen.Loaded(RECORDED_ACCESS))
            await pilot.pause()
            screen.query_one(TabbedContent).active = f"tab-{tab}"
            await pilot.pause()

        assert snap_compare(
            HomeApp(agent.address), terminal_size=(80, 24), run_before=recorded_access
        )

    def test_login_prompt_at_80x24(self, snap_compare: SnapCompare) -> None:
        assert snap_compare(LoginApp(), terminal_size=(80, 24))


class LoginApp(App[None]):
    """The login prompt on its own, as the app shows it for a TCP agent."""

    CSS_PATH = Path(omnix.tui.__file__).with_name("omnix.tcss")

    def on_mount(self) -> None:
        reason = "the agent wants a login: no token sent (UNAUTHENTICATED)"
        self.push_screen(LoginDialog("db1.internal:7443", reason, "li"))
