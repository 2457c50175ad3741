"""The schedule preview: every scheduled pipeline and its next fire times."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnix.tui.components.agent_view import AgentView, when
from omnix.tui.summaries import ScheduleSummary
from textual.app import ComposeResult
from textual.widgets import DataTable, Static

if TYPE_CHECKING:
    from omnix.shared.cron import DstShift
    from omnix.tui.session import AgentSession

PREVIEW_COUNT = 5

Previewed = list[tuple[ScheduleSummary, list[tuple[float, "DstShift | None"]]]]
DST_MARKS = {
    "spring-forward": "  ⚠ DST: clocks go forward, fires at the end of the gap",
    "fall-back": "  ⚠ DST: clocks go back, this wall time occurs twice",
}


class SchedulesScreen(AgentView[Previewed]):
    """Schedules with their next fire times; the highlighted one's next runs below."""

    def __init__(self) -> None:
        super().__init__()
        self.previews: dict[str, list[float]] = {}
        self.shifts: dict[str, list[DstShift | None]] = {}
        self.timezones: dict[str, str] = {}

    def compose_body(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", id="schedules")
        table.add_columns("pipeline", "when", "timezone", "catch-up", "state", "next")
        yield table
        yield Static("", id="schedule-preview")

    def fetch(self, session: AgentSession) -> Previewed:
        schedules = session.schedules()
        return [
            (s, [] if s.paused else session.preview_fires(s.pipeline, PREVIEW_COUNT))
            for s in schedules
        ]

    def show(self, data: Previewed) -> None:
        table = self.query_one(DataTable)
        table.clear()
        self.previews = {}
        for schedule, fires in data:
            self.previews[schedule.pipeline] = [at for at, _ in fires]
            self.shifts[schedule.pipeline] = [shift for _, shift in fires]
            self.timezones[schedule.pipeline] = schedule.timezone
            table.add_row(
                schedule.pipeline,
                schedule.spec,
                schedule.timezone,
                schedule.catchup,
                "paused" if schedule.paused else "active",
                when(schedule.next_fire_at, schedule.timezone),
                key=schedule.pipeline,
            )
        self.sub_title = f"{len(data)} schedule(s)"
        if not data:
            self.query_one("#schedule-preview", Static).update("No pipeline has a schedule.")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        name = str(event.row_key.value)
        times = self.previews.get(name, [])
        zone = self.timezones.get(name)
        shifts = self.shifts.get(name, [])
        lines = [f"Next {len(times)} runs of {name}:"] + [
            f"  {when(t, zone)}{DST_MARKS.get(shift or '', '')}"
            for t, shift in zip(times, shifts, strict=True)
        ]
        self.query_one("#schedule-preview", Static).update(
            "\n".join(lines) if times else f"{name}: paused"
        )
