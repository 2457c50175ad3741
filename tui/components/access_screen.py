"""Who may do what on the agent: its users, your tokens, the secrets' names and the audit
log, one tab each (7). A table your role may not read says so instead of staying empty;
values of secrets never reach the client at all.

`LoginDialog` is the prompt the app shows when the agent wants a login (a TCP agent with no
session, or one that expired): the session it gets is kept as `omnix login` keeps it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar

from omnix.tui.components.agent_view import AgentView
from omnix.tui.summaries import AccessSummary, AgentError, Identity
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static, TabbedContent, TabPane

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession

AUDIT_DAYS = 7
"""The audit tab shows this many days, newest first."""

TABLES: dict[str, tuple[str, ...]] = {
    "users": ("user", "role", "password", "added by"),
    "tokens": ("id", "name", "role", "pipelines", "state"),
    "secrets": ("secret", "changed by"),
    "audit": ("seq", "who", "action", "target", "result"),
}


def header_identity(identity: Identity) -> str:
    """`alice (developer)` for the header."""
    return f"{identity.user} ({identity.role})"


class AccessScreen(AgentView[AccessSummary]):
    """Users, tokens, secrets and audit, as far as the caller's role reaches."""

    REFRESH_S = 30.0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="access-who")
        with TabbedContent(id="access-tabs"):
            for name, columns in TABLES.items():
                with TabPane(name.capitalize(), id=f"tab-{name}"):
                    yield Static("", id=f"{name}-refused", classes="refused")
                    table: DataTable[str] = DataTable(id=f"{name}-table", cursor_type="row")
                    table.add_columns(*columns)
                    yield table

    def fetch(self, session: AgentSession) -> AccessSummary:
        return session.access(time.time() - AUDIT_DAYS * 86400)

    def show(self, data: AccessSummary) -> None:
        who = data.identity
        self.query_one("#access-who", Static).update(
            f"signed in as {header_identity(who)} via {who.via}, {who.tier} tier"
        )
        for name, rows in (
            ("users", data.users),
            ("tokens", data.tokens),
            ("secrets", data.secrets),
            ("audit", data.audit),
        ):
            table = self.query_one(f"#{name}-table", DataTable)
            table.clear()
            table.add_rows(rows)
            reason = data.refused.get(name, "")
            self.query_one(f"#{name}-refused", Static).update(f"✘ {reason}" if reason else "")
            table.display = not reason
        self.sub_title = "access"


class LoginDialog(ModalScreen[Identity | None]):
    """Asks for a user name and password and logs in; dismisses with who is signed in, or
    None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, agent: str | None, reason: str, user: str = "") -> None:
        super().__init__()
        self.agent = agent
        self.reason = reason
        self.user = user

    def compose(self) -> ComposeResult:
        with Vertical(id="login", classes="dialog"):
            yield Label(f"Log in to {self.agent or 'the agent'}", classes="dialog-title")
            yield Label(self.reason, id="login-reason")
            yield Label("user")
            yield Input(value=self.user, id="login-user")
            yield Label("password")
            yield Input(password=True, id="login-password")
            yield Label("", id="login-error", classes="error")
            with Horizontal(classes="buttons"):
                yield Button("Log in", variant="primary", id="login-ok")
                yield Button("Cancel", id="login-cancel")

    def on_mount(self) -> None:
        field = "#login-password" if self.user else "#login-user"
        self.query_one(field, Input).focus()

    @on(Input.Submitted, "#login-user")
    def _next(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    @on(Button.Pressed, "#login-ok")
    def _confirm(self) -> None:
        user = self.query_one("#login-user", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        if not user:
            self.query_one("#login-error", Label).update("give a user name")
            return
        self.query_one("#login-error", Label).update("logging in…")
        self._log_in(user, password)

    @work(thread=True, exclusive=True, group="login")
    def _log_in(self, user: str, password: str) -> None:
        from omnix.tui.session import AgentSession

        try:
            with AgentSession(self.agent) as session:
                identity = session.login(user, password)
        except AgentError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self.dismiss, identity)

    def _failed(self, message: str) -> None:
        self.query_one("#login-error", Label).update(message)
        self.query_one("#login-password", Input).value = ""
        self.query_one("#login-password", Input).focus()

    @on(Button.Pressed, "#login-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
