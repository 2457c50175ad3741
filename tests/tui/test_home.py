"""`omnix` without arguments: pipelines, runs, schedules and agent views of a real agent."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import replace
from typing import Protocol

from omnix.shared.client import AgentAddress, AgentClient
from omnix.shared.status import NodeStatus
from omnix.tui.components.agent_screen import AgentScreen
from omnix.tui.components.graph import GraphCanvas
from omnix.tui.components.license_screen import LicenseScreen, license_rows, license_warning
from omnix.tui.components.output_screen import OutputScreen
from omnix.tui.components.run_screen import RunScreen
from omnix.tui.components.runs_screen import RunsScreen
from omnix.tui.components.schedules_screen import SchedulesScreen
from omnix.tui.home import HomeApp
from omnix.tui.summaries import LicenseSummary, LimitUsage
from omnix.v1 import run_pb2, schedule_pb2
from textual.pilot import Pilot
from textual.widgets import DataTable, Static
from textual.widgets._footer import FooterKey

DAILY = """\
omnix: 1
name: daily
description: Morning numbers
schedule:
  cron: "0 6 * * *"
  timezone: UTC
nodes:
  - id: numbers
    lang: python
    code: |
      import pandas as pd
      print("counting")
      pd.DataFrame({"n": [1, 2, 3]})
  - id: total
    lang: sql
    needs: [numbers]
    code: SELECT SUM(n) AS total FROM numbers
"""


class Agent(Protocol):
    """The `agent` fixture: a real agent process and its address."""

    @property
    def address(self) -> str: ...


def deploy(agent: Agent, source: str) -> None:
    with AgentClient(AgentAddress(agent.address)) as client:
        client.deploy(source, "daily.yaml")


async def loaded(pilot: Pilot[None]) -> None:
    await asyncio.wait_for(pilot.app.workers.wait_for_complete(), timeout=60)
    await pilot.pause()


def cells(table: DataTable[str]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_pipelines_view_lists_deployed_pipelines(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        rows = cells(app.screen.query_one(DataTable))
        assert rows[0][0] == "daily"
        assert rows[0][2] == "yes"
        assert rows[0][4] == "Morning numbers"


async def test_r_runs_a_pipeline_and_follows_it_live(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await loaded(pilot)
        screen = app.screen
        assert isinstance(screen, RunScreen)
        await loaded(pilot)
        canvas = screen.query_one(GraphCanvas)
        assert canvas.looks["numbers"].state is NodeStatus.SUCCEEDED
        assert canvas.looks["total"].state is NodeStatus.SUCCEEDED
        assert ("numbers", "total") in canvas.picture_edges()
        assert "run succeeded" in (screen.sub_title or "")


async def test_o_shows_the_selected_nodes_table_from_the_run(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        await pilot.press("r")
        await loaded(pilot)
        await loaded(pilot)
        assert app.screen.query_one(GraphCanvas).selected == "numbers"
        await pilot.press("o")
        await loaded(pilot)
        screen = app.screen
        assert isinstance(screen, OutputScreen), screen
        table = screen.query_one(DataTable)
        assert [str(c.label) for c in table.columns.values()] == ["n"]
        assert cells(table) == [["1"], ["2"], ["3"]]
        assert "3 rows, 1 column" in str(screen.query_one("#output-summary", Static).content)
        await pilot.press("escape")
        assert isinstance(app.screen, RunScreen)


async def test_o_on_a_node_whose_output_was_not_kept_says_so(agent: Agent) -> None:
    deploy(agent, DAILY)
    with AgentClient(AgentAddress(agent.address)) as client:
        run_id = client.call(
            client.runs.StartRun, run_pb2.StartRunRequest(pipeline_name="daily")
        ).run.run_id  # keeps the final node's output only
        for _ in client.watch(run_id):
            pass
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.push_screen(RunScreen(run_id, agent.address))
        await loaded(pilot)
        await pilot.press("o")
        await loaded(pilot)
        assert isinstance(app.screen, RunScreen)
        assert any("no kept output for node 'numbers'" in n.message for n in app._notifications)


async def test_the_runs_view_lists_runs_and_opens_one(agent: Agent) -> None:
    deploy(agent, DAILY)
    with AgentClient(AgentAddress(agent.address)) as client:
        from omnix.v1 import run_pb2

        run_id = client.call(
            client.runs.StartRun, run_pb2.StartRunRequest(pipeline_name="daily")
        ).run.run_id
        for _ in client.watch(run_id):
            pass
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await loaded(pilot)
        assert isinstance(app.screen, RunsScreen)
        rows = cells(app.screen.query_one(DataTable))
        assert rows[0][1] == "daily" and "succeeded" in rows[0][2]
        app.screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await loaded(pilot)
        assert isinstance(app.screen, RunScreen)
        assert app.screen.run_id == run_id


async def test_the_schedules_view_previews_next_fire_times(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await loaded(pilot)
        assert isinstance(app.screen, SchedulesScreen)
        rows = cells(app.screen.query_one(DataTable))
        assert rows[0][:3] == ["daily", "0 6 * * *", "UTC"]
        times = app.screen.previews["daily"]
        assert len(times) == 5
        assert all(later - earlier == 86400 for earlier, later in itertools.pairwise(times))


async def test_p_pauses_and_resumes_the_highlighted_schedule(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await loaded(pilot)
        screen = app.screen
        assert isinstance(screen, SchedulesScreen)
        await pilot.press("p")
        await loaded(pilot)  # the change, then the fetch it asks for
        await loaded(pilot)
        assert cells(screen.query_one(DataTable))[0][4] == "paused"
        with AgentClient(AgentAddress(agent.address)) as client:
            [listed] = client.call(
                client.schedules.ListSchedules, schedule_pb2.ListSchedulesRequest()
            ).schedules
        assert listed.paused
        await pilot.press("p")
        await loaded(pilot)
        await loaded(pilot)
        assert cells(screen.query_one(DataTable))[0][4] == "active"


async def test_r_on_the_schedules_view_runs_the_pipeline_now(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await loaded(pilot)
        with AgentClient(AgentAddress(agent.address)) as client:
            before = len(client.call(client.runs.ListRuns, run_pb2.ListRunsRequest()).runs)
            await pilot.press("r")
            await loaded(pilot)
            after = client.call(client.runs.ListRuns, run_pb2.ListRunsRequest()).runs
        assert len(after) == before + 1 and after[0].pipeline == "daily"


async def test_the_agent_view_shows_the_agents_status(agent: Agent) -> None:
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("4")
        await loaded(pilot)
        assert isinstance(app.screen, AgentScreen)
        text = str(app.screen.query_one("#agent-status", Static).render())
        assert "license" in text and "pid" in text


async def test_an_unreachable_agent_is_one_clear_line() -> None:
    app = HomeApp("unix:/tmp/omnix-no-such-agent.sock")
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        text = str(app.screen.query_one(".view-error", Static).render())
        assert "no agent answers" in text


async def test_enter_on_a_pipeline_lists_only_its_runs(agent: Agent) -> None:
    deploy(agent, DAILY)
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        app.screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await loaded(pilot)
        screen = app.screen
        assert isinstance(screen, RunsScreen)
        assert screen.pipeline == "daily"
        assert all(row[1] == "daily" for row in cells(screen.query_one(DataTable)))


async def test_a_hidden_view_stops_refreshing_until_shown_again(agent: Agent) -> None:
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        await loaded(pilot)
        runs = app.screen
        assert isinstance(runs, RunsScreen) and runs.refresh_timer is not None
        await pilot.press("1")
        await loaded(pilot)
        # Timer has no public "is paused": its event is what pause() and resume() set.
        assert runs.refresh_timer._active.is_set() is False
        await pilot.press("2")
        await loaded(pilot)
        assert runs.refresh_timer._active.is_set() is True


async def test_the_header_names_the_license_tier_in_force(agent: Agent) -> None:
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await loaded(pilot)
        assert app.title.startswith("omnix · Free")


async def test_the_license_view_shows_the_license_and_todays_usage(agent: Agent) -> None:
    deploy(agent, DAILY)
    with AgentClient(AgentAddress(agent.address)) as client:
        deployed = client.status().pipelines
    app = HomeApp(agent.address)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("5")
        await loaded(pilot)
        assert isinstance(app.screen, LicenseScreen)
        text = str(app.screen.query_one("#license-status", Static).render())
        assert "tier  Free" in text
        assert "license  ○ absent" in text
        assert f"pipelines  {deployed} of unlimited" in text
        assert "executions per day" in text and "of 100" in text
        message = str(app.screen.query_one("#license-message", Static).render())
        assert "no license installed" in message
        assert app.screen.sub_title == "Free tier"


def test_the_license_view_shows_an_installed_licenses_terms() -> None:
    summary = LicenseSummary(
        tier="team",
        state="expiring",
        message="the Team license for Acme expires in 9 days",
        customer="Acme",
        seats=5,
        issued_at=1764000000.0,
        expires_at=1796000000.0,
        days_left=9,
        license_id="3f2a",
        limits=(LimitUsage("executions per day", 1000, 12), LimitUsage("users", 5, None)),
        languages=("javascript", "python", "sql"),
        features=(("secrets", True), ("SSO", False)),
    )
    rows = dict(license_rows(summary))
    assert rows["tier"] == "Team"
    assert rows["license"] == "⚠ expiring"
    assert rows["customer"] == "Acme"
    assert rows["expires"].endswith("(9 days left)")
    assert rows["executions per day"] == "12 of 1,000"
    assert rows["users"] == "5"
    assert rows["features"] == "secrets"


def test_the_header_warns_while_the_license_is_expiring() -> None:
    summary = LicenseSummary("team", "expiring", "", "Acme", 5, 0.0, 0.0, 9, "3f2a", (), (), ())
    assert license_warning(summary) == " ⚠ 9 days left"
    assert license_warning(replace(summary, state="valid", days_left=90)) == ""
    assert license_warning(replace(summary, tier="free", state="expired")) == " ✘ license expired"


async def test_every_view_shows_all_its_footer_keys_at_80_columns(agent: Agent) -> None:
    app = HomeApp(agent.address)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in "123456":
            await pilot.press(key)
            await loaded(pilot)
            shown = list(app.screen.query(FooterKey))
            assert {k.description for k in shown} >= {"Pipelines", "Dash", "Quit"}, key
            assert all(k.region.right <= 80 and k.region.width for k in shown), (
                key,
                [(k.description, k.region) for k in shown],
            )
