"""The base of every screen that shows something from the agent.

A view fetches in a worker thread through `AgentSession` (never blocking the UI), posts
what it got back as a message, and shows it; `g` fetches again. Failures show as one
sentence in the view, not a traceback.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omnix.tui.summaries import AgentError, NotSignedIn
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession

T = TypeVar("T")


class AgentView(Screen[None], Generic[T]):
    """A screen filled from the agent: subclasses define `fetch` (thread) and `show` (UI)."""

    # Off the footer, which the six views' keys fill at 80 columns; the views refresh on
    # their own, and the keys panel (^p) lists it.
    BINDINGS: ClassVar[list[BindingType]] = [Binding("g", "reload", "Refresh", show=False)]
    REFRESH_S: ClassVar[float | None] = None
    """Fetch again every this many seconds while shown (None: only on `g`)."""

    class Loaded(Message):
        """What `fetch` returned."""

        def __init__(self, data: Any) -> None:
            super().__init__()
            self.data = data

    class Failed(Message):
        """Why fetching failed, in one sentence; `signed_out` when the agent wants a login."""

        def __init__(self, error: str, *, signed_out: bool = False) -> None:
            super().__init__()
            self.error = error
            self.signed_out = signed_out

    @property
    def agent(self) -> str | None:
        """The agent address the app was started with (None: the default)."""
        agent = getattr(self.app, "agent", None)
        return agent if isinstance(agent, str) else None

    def compose(self) -> ComposeResult:
        yield Header()
        yield from self.compose_body()
        yield Static("", classes="view-error")
        yield Footer(compact=True)

    def compose_body(self) -> ComposeResult:
        """The view's own widgets, between the header and the footer."""
        yield from ()

    refresh_timer: Timer | None = None
    """The periodic refresh (None without `REFRESH_S`); paused while the view is hidden."""

    def on_mount(self) -> None:
        self.action_reload()
        if self.REFRESH_S:
            self.refresh_timer = self.set_interval(self.REFRESH_S, self.action_reload)

    def on_screen_suspend(self) -> None:
        # A view in another mode is not seen: asking the agent for it is wasted work.
        if self.refresh_timer is not None:
            self.refresh_timer.pause()

    def on_screen_resume(self) -> None:
        if self.refresh_timer is not None:
            self.refresh_timer.resume()

    def action_reload(self) -> None:
        """Fetch again from the agent."""
        self.load()

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                data = self.fetch(session)
        except AgentError as exc:
            self.post_message(self.Failed(str(exc), signed_out=isinstance(exc, NotSignedIn)))
            return
        self.post_message(self.Loaded(data))

    def fetch(self, session: AgentSession) -> T:
        """Get the view's data (runs in a worker thread)."""
        raise NotImplementedError

    def show(self, data: T) -> None:
        """Display fetched data (runs on the UI thread)."""
        raise NotImplementedError

    def on_agent_view_loaded(self, message: Loaded) -> None:
        error = self.query_one(".view-error", Static)
        error.update("")
        error.remove_class("-shown")
        self.show(message.data)

    def on_agent_view_failed(self, message: Failed) -> None:
        error = self.query_one(".view-error", Static)
        error.update(f"✘ {message.error}")
        error.add_class("-shown")


def when(seconds: float, timezone: str | None = None, *, brief: bool = False) -> str:
    """A Unix time as `YYYY-MM-DD HH:MM:SS` (local, or in `timezone` with its abbreviation);
    `brief` drops the year (`MM-DD HH:MM:SS`, local) where columns are tight."""
    if not seconds:
        return "—"
    if timezone is None:
        shape = "%m-%d %H:%M:%S" if brief else "%Y-%m-%d %H:%M:%S"
        return time.strftime(shape, time.localtime(seconds))
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.fromtimestamp(seconds, zone).strftime("%Y-%m-%d %H:%M %Z")


def took(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.1f}s" if seconds < 120 else f"{seconds / 60:.1f}m"
