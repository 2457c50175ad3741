"""`omnix` with no arguments: the agent's pipelines, runs, schedules and status.

One mode per view (Textual MODES), switched with 1-4; runs open in a live run screen.
"""

from __future__ import annotations

from typing import ClassVar

from omnix.tui.components.agent_screen import AgentScreen
from omnix.tui.components.pipelines_screen import PipelinesScreen
from omnix.tui.components.run_screen import RunScreen
from omnix.tui.components.runs_screen import RunsScreen
from omnix.tui.components.schedules_screen import SchedulesScreen
from textual import on
from textual.app import App
from textual.binding import Binding, BindingType


class HomeApp(App[None]):
    """The agent's pipelines (1), runs (2), schedules (3) and status (4)."""

    CSS_PATH = "omnix.tcss"
    TITLE = "omnix"
    MODES: ClassVar[
        dict[str, type[PipelinesScreen | RunsScreen | SchedulesScreen | AgentScreen]]
    ] = {  # type: ignore[assignment]
        "pipelines": PipelinesScreen,
        "runs": RunsScreen,
        "schedules": SchedulesScreen,
        "agent": AgentScreen,
    }
    DEFAULT_MODE = "pipelines"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('pipelines')", "Pipelines"),
        Binding("2", "switch_mode('runs')", "Runs"),
        Binding("3", "switch_mode('schedules')", "Schedules"),
        Binding("4", "switch_mode('agent')", "Agent"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, agent: str | None = None) -> None:
        super().__init__()
        self.agent = agent

    @on(PipelinesScreen.RunStarted)
    @on(RunsScreen.RunChosen)
    def _open_run(self, message: PipelinesScreen.RunStarted | RunsScreen.RunChosen) -> None:
        self.push_screen(RunScreen(message.run_id, self.agent))

    @on(PipelinesScreen.RunsWanted)
    async def _show_runs(self, message: PipelinesScreen.RunsWanted) -> None:
        await self.switch_mode("runs")
        screen = self.screen
        if isinstance(screen, RunsScreen):
            screen.only(message.pipeline)
