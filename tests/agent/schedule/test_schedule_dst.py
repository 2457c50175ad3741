"""Schedule previews carry each fire time's DST shift, and the TUI's schedules view marks it."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from omnix.tui.components.schedules_screen import SchedulesScreen
from omnix.tui.home import HomeApp
from omnix.tui.session import AgentSession
from omnix.v1 import pipeline_pb2, schedule_pb2, schedule_pb2_grpc
from textual.widgets import DataTable, Static

from tests.agent.agents import AgentFactory, RunningAgent, python_pipeline

BERLIN = ZoneInfo("Europe/Berlin")
# Sundays at 02:30 in Berlin: the EU changes clocks on the last Sunday of March (02:00 ->
# 03:00, so 02:30 does not exist) and of October (03:00 -> 02:00, so 02:30 happens twice).
# Sixty weeks always span both transitions.
WEEKS = 60


def sunday_night(name: str) -> str:
    schedule = 'schedule:\n  cron: "30 2 * * 0"\n  timezone: Europe/Berlin\nnodes:'
    return python_pipeline(name, nodes=1).replace("nodes:", schedule, 1)


def deploy(agent: RunningAgent, source: str) -> None:
    agent.pipelines().DeployPipeline(pipeline_pb2.DeployPipelineRequest(source=source), timeout=10)


def test_preview_reports_spring_forward_and_fall_back_fire_times(
    module_agent: RunningAgent,
) -> None:
    deploy(module_agent, sunday_night("dstweekly"))
    stub = schedule_pb2_grpc.ScheduleServiceStub(module_agent.channel())
    reply = stub.PreviewSchedule(
        schedule_pb2.PreviewScheduleRequest(pipeline_name="dstweekly", count=WEEKS), timeout=10
    )
    assert [fire.at for fire in reply.fires] == list(reply.fire_times)
    by_shift: dict[int, list[datetime]] = {}
    for fire in reply.fires:
        by_shift.setdefault(fire.shift, []).append(datetime.fromtimestamp(fire.at, BERLIN))
    forward = by_shift[schedule_pb2.DST_SHIFT_SPRING_FORWARD]
    back = by_shift[schedule_pb2.DST_SHIFT_FALL_BACK]
    assert len(forward) == 1 and (forward[0].month, forward[0].hour, forward[0].minute) == (3, 3, 0)
    assert len(back) == 1 and (back[0].month, back[0].hour, back[0].minute) == (10, 2, 30)
    assert len(by_shift[schedule_pb2.DST_SHIFT_NONE]) == WEEKS - 2


def test_the_client_session_converts_the_shifts(module_agent: RunningAgent) -> None:
    deploy(module_agent, sunday_night("dstsession"))
    with AgentSession(module_agent.address) as session:
        fires = session.preview_fires("dstsession", WEEKS)
    shifts = [shift for _, shift in fires]
    assert shifts.count("spring-forward") == 1 and shifts.count("fall-back") == 1
    assert shifts.count(None) == WEEKS - 2


async def test_the_schedules_view_marks_fire_times_a_dst_change_shifts(
    agent_factory: AgentFactory,
) -> None:
    agent = agent_factory()
    # 02:30 on the five days of March ending with its last Sunday (the EU's change): the view
    # shows these five, and only the Sunday is in the gap.
    sunday = last_march_sunday()
    cron = f'"30 2 {sunday.day - 4}-{sunday.day} 3 *"'
    deploy(agent, sunday_night("dstview").replace('"30 2 * * 0"', cron))
    app = HomeApp(agent.address)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("3")
        await asyncio.wait_for(app.workers.wait_for_complete(), timeout=60)
        await pilot.pause()
        assert isinstance(app.screen, SchedulesScreen)
        app.screen.query_one(DataTable).focus()
        await pilot.pause()
        text = str(app.screen.query_one("#schedule-preview", Static).render())
    assert "Next 5 runs of dstview:" in text
    lines = text.splitlines()[1:]
    marked = [line for line in lines if "⚠ DST" in line]
    assert marked == [lines[-1]]
    assert marked[0].startswith(f"  {sunday:%Y-%m-%d} 03:00 CEST")
    assert "clocks go forward" in marked[0]


def last_march_sunday() -> date:
    """The next last Sunday of March that is more than a week away."""
    today = date.today()
    year = today.year if today < date(today.year, 3, 15) else today.year + 1
    day = date(year, 3, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)
