"""The schedule preview: every scheduled pipeline and its next fire times."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from omnix.tui.components.agent_view import AgentView, when
from omnix.tui.summaries import AgentError, ScheduleSummary
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
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
    """Schedules with their next fire times; the highlighted one's next runs below. `p`
    pauses or resumes the highlighted schedule, `r` runs its pipeline now."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "toggle_pause", "Pause"),  # or resume: the footer is full at 80
        Binding("r", "run_now", "Run now"),
    ]

    class Changed(Message):
        """A schedule was paused or resumed, or its pipeline started: say it, fetch again."""

        def __init__(self, note: str) -> None:
            super().__init__()
            self.note = note

    def __init__(self) -> None:
        super().__init__()
        self.paused: dict[str, bool] = {}
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
            self.paused[schedule.pipeline] = schedule.paused
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

    def _highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_toggle_pause(self) -> None:
        """Pause the highlighted schedule, or resume it when paused."""
        name = self._highlighted()
        if name is not None:
            self.change(name, pause=not self.paused.get(name, False))

    def action_run_now(self) -> None:
        """Start a run of the highlighted pipeline's newest version now."""
        name = self._highlighted()
        if name is not None:
            self.change(name, pause=None)

    @work(thread=True, group="change")
    def change(self, name: str, *, pause: bool | None) -> None:
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                if pause is None:
                    note = f"started run {session.start_deployed(name)[:12]} of {name}"
                else:
                    session.set_paused(name, pause)
                    note = f"{'paused' if pause else 'resumed'} {name}"
        except AgentError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Changed(note))

    def on_schedules_screen_changed(self, message: Changed) -> None:
        self.notify(message.note)
        self.action_reload()
