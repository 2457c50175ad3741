"""`omnix` with no arguments: the agent's pipelines, runs, schedules, status, license,
a dashboard, and who may do what.

One mode per view (Textual MODES), switched with 1-7; runs open in a live run screen.
The header names the license tier in force, kept current by every status the views fetch,
and the user and role the agent takes the TUI for. When the agent wants a login (a TCP
agent without a session, or a session that ended) the app asks for one and reloads.
"""

from __future__ import annotations

from typing import ClassVar

from omnix.tui.components.access_screen import AccessScreen, LoginDialog, header_identity
from omnix.tui.components.agent_screen import AgentScreen
from omnix.tui.components.agent_view import AgentView
from omnix.tui.components.dashboard_screen import DashboardScreen
from omnix.tui.components.license_screen import LicenseScreen, license_warning, tier_title
from omnix.tui.components.pipelines_screen import PipelinesScreen
from omnix.tui.components.runs_screen import RunsScreen
from omnix.tui.components.schedules_screen import SchedulesScreen
from omnix.tui.palette import fit_palette
from omnix.tui.summaries import AgentError, AgentSummary, Identity, LicenseSummary, NotSignedIn
from textual import on, work
from textual.app import App
from textual.binding import Binding, BindingType

HomeScreen = (
    PipelinesScreen
    | RunsScreen
    | SchedulesScreen
    | AgentScreen
    | LicenseScreen
    | DashboardScreen
    | AccessScreen
)


class HomeApp(App[None]):
    """The agent's pipelines (1), runs (2), schedules (3), status (4), license (5),
    dashboard (6) and access (7)."""

    CSS_PATH = "omnix.tcss"
    TITLE = "omnix"
    MODES: ClassVar[dict[str, type[HomeScreen]]] = {  # type: ignore[assignment]
        "pipelines": PipelinesScreen,
        "runs": RunsScreen,
        "schedules": SchedulesScreen,
        "agent": AgentScreen,
        "license": LicenseScreen,
        "dashboard": DashboardScreen,
        "access": AccessScreen,
    }
    DEFAULT_MODE = "pipelines"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "switch_mode('pipelines')", "Pipelines"),
        Binding("2", "switch_mode('runs')", "Runs"),
        Binding("3", "switch_mode('schedules')", "Sched"),
        Binding("4", "switch_mode('agent')", "Agent"),
        Binding("5", "switch_mode('license')", "License"),
        Binding("6", "switch_mode('dashboard')", "Dash"),
        Binding("7", "switch_mode('access')", "Access", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, agent: str | None = None) -> None:
        super().__init__()
        self.agent = agent
        self._license: LicenseSummary | None = None
        self._tier = ""
        self.identity: Identity | None = None
        self._asking = False
        fit_palette(self)

    def on_mount(self) -> None:
        self.fetch_license()
        self.fetch_identity()

    @work(thread=True, exclusive=True, group="identity")
    def fetch_identity(self) -> None:
        """Ask the agent who it takes the TUI for, for the header."""
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                identity = session.whoami()
        except NotSignedIn as exc:
            self.call_from_thread(self.ask_login, str(exc))
            return
        except AgentError:
            return
        self.call_from_thread(self.show_identity, identity)

    def show_identity(self, identity: Identity) -> None:
        """Name the user and role in the header."""
        self.identity = identity
        self.show_tier(self._tier or identity.tier.lower())

    def ask_login(self, reason: str) -> None:
        """Prompt for a login (once at a time); reload everything after it."""
        if self._asking:
            return
        self._asking = True

        def signed_in(identity: Identity | None) -> None:
            self._asking = False
            if identity is None:
                return
            self.fetch_license()
            self.fetch_identity()
            screen = self.screen
            if isinstance(screen, AgentView):
                screen.action_reload()

        user = self.identity.user if self.identity else ""
        self.push_screen(LoginDialog(self.agent, reason, user), signed_in)

    @on(AgentView.Failed)
    def _view_failed(self, message: AgentView.Failed) -> None:
        if message.signed_out:
            self.ask_login(message.error)

    @work(thread=True, exclusive=True, group="license")
    def fetch_license(self) -> None:
        """Ask the agent for its license once, for the header."""
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                summary = session.license()
        except AgentError:
            return  # the view on screen says why the agent cannot be reached
        self.call_from_thread(self.show_license, summary)

    def show_license(self, summary: LicenseSummary) -> None:
        """Name the tier in the header, with a warning while the license is expiring and
        the reason when an installed one no longer counts."""
        self._license = summary
        self.show_tier(summary.tier)

    def show_tier(self, tier: str) -> None:
        """Name the license tier in force (and who is signed in) in the header."""
        self._tier = tier
        title = f"omnix · {tier_title(tier)}"
        if self._license is not None and self._license.tier == tier:
            title += license_warning(self._license)
        if self.identity is not None:
            title += f" · {header_identity(self.identity)}"
        self.title = title

    @on(AgentView.Loaded)
    def _status_loaded(self, message: AgentView.Loaded) -> None:
        if isinstance(message.data, AgentSummary):
            self.show_tier(message.data.license_tier)
        elif isinstance(message.data, LicenseSummary):
            self.show_license(message.data)

    @on(PipelinesScreen.RunStarted)
    @on(RunsScreen.RunChosen)
    def _open_run(self, message: PipelinesScreen.RunStarted | RunsScreen.RunChosen) -> None:
        # The run screen brings the graph and the YAML document: loaded when first needed.
        from omnix.tui.components.run_screen import RunScreen

        self.push_screen(RunScreen(message.run_id, self.agent))

    @on(PipelinesScreen.RunsWanted)
    async def _show_runs(self, message: PipelinesScreen.RunsWanted) -> None:
        await self.switch_mode("runs")
        screen = self.screen
        if isinstance(screen, RunsScreen):
            screen.only(message.pipeline)
