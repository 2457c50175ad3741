"""The runs screen: recent runs on the agent, refreshed while shown; Enter opens one."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from omnix.shared.status import RunStatus
from omnix.tui.components.agent_view import AgentView, took, when
from omnix.tui.summaries import RunSummary
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession

RUN_SYMBOL = {
    RunStatus.QUEUED: "○",
    RunStatus.RUNNING: "◐",
    RunStatus.SUCCEEDED: "✔",
    RunStatus.FAILED: "✘",
    RunStatus.CANCELLED: "■",
}


class RunsScreen(AgentView[list[RunSummary]]):
    """Runs, newest first (of one pipeline after choosing it on the pipelines screen)."""

    REFRESH_S = 2.0
    BINDINGS: ClassVar[list[BindingType]] = [Binding("a", "all", "All")]

    class RunChosen(Message):
        """The user wants to watch one run."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    def __init__(self) -> None:
        super().__init__()
        self.pipeline = ""

    def compose_body(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", id="runs")
        table.add_columns("run", "pipeline", "status", "trigger", "started", "took", "reason")
        yield table

    def only(self, pipeline: str) -> None:
        """Show the runs of one pipeline ("" for all)."""
        self.pipeline = pipeline
        self.action_reload()

    def action_all(self) -> None:
        """Show the runs of every pipeline."""
        self.only("")

    def fetch(self, session: AgentSession) -> list[RunSummary]:
        return session.runs(self.pipeline)

    def show(self, data: list[RunSummary]) -> None:
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for run in data:
            table.add_row(
                run.run_id[:12],
                run.pipeline,
                f"{RUN_SYMBOL[run.status]} {run.status.value}",
                run.trigger,
                when(run.started_at or run.created_at, brief=True),
                took(run.duration_s),
                run.reason,
                key=run.run_id,
            )
        if data:
            table.move_cursor(row=min(row, len(data) - 1))
        which = f"runs of {self.pipeline}" if self.pipeline else "runs of every pipeline"
        self.sub_title = f"{len(data)} {which} · Enter opens one"

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self.post_message(self.RunChosen(str(event.row_key.value)))
