"""The pipelines screen: what is deployed on the agent; run one, or see its runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from omnix.tui.components.agent_view import AgentView, when
from omnix.tui.summaries import AgentError, PipelineSummary
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import DataTable

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession


class PipelinesScreen(AgentView[list[PipelineSummary]]):
    """Deployed pipelines: `r` runs the highlighted one, Enter lists its runs."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "run", "Run"),
    ]

    class RunStarted(Message):
        """A run of a deployed pipeline started; the app opens it."""

        def __init__(self, run_id: str) -> None:
            super().__init__()
            self.run_id = run_id

    class RunsWanted(Message):
        """The user wants the runs of one pipeline."""

        def __init__(self, pipeline: str) -> None:
            super().__init__()
            self.pipeline = pipeline

    def compose_body(self) -> ComposeResult:
        table: DataTable[str] = DataTable(cursor_type="row", id="pipelines")
        table.add_columns("pipeline", "version", "scheduled", "updated", "description")
        yield table

    def fetch(self, session: AgentSession) -> list[PipelineSummary]:
        return session.pipelines()

    def show(self, data: list[PipelineSummary]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for p in data:
            table.add_row(
                p.name,
                str(p.latest_version),
                "yes" if p.scheduled else "",
                when(p.updated_at),
                p.description,
                key=p.name,
            )
        self.sub_title = f"{len(data)} pipeline(s) deployed · Enter lists a pipeline's runs"

    def _highlighted(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_runs(self) -> None:
        """List the highlighted pipeline's runs."""
        name = self._highlighted()
        if name is not None:
            self.post_message(self.RunsWanted(name))

    def on_data_table_row_selected(self) -> None:
        self.action_runs()

    def action_run(self) -> None:
        """Run the highlighted pipeline's newest version."""
        name = self._highlighted()
        if name is not None:
            self.start(name)

    @work(thread=True, group="start")
    def start(self, name: str) -> None:
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                run_id = session.start_deployed(name)
        except AgentError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.RunStarted(run_id))
