"""The agent screen: the agent's version, addresses, load, store and license."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnix.tui.components.agent_view import AgentView, took
from omnix.tui.components.license_screen import tier_title
from omnix.tui.summaries import AgentSummary
from textual.app import ComposeResult
from textual.widgets import Static

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession


class AgentScreen(AgentView[AgentSummary]):
    """What the agent says about itself, refreshed every few seconds."""

    REFRESH_S = 5.0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="agent-status")

    def fetch(self, session: AgentSession) -> AgentSummary:
        return session.status()

    def show(self, data: AgentSummary) -> None:
        store = "ok" if data.store_ok else f"✘ {data.store_detail}"
        rows = [
            ("version", data.version),
            ("pid", str(data.pid)),
            ("up", took(data.uptime_s)),
            ("listening", ", ".join(data.listen_addresses) or "—"),
            ("state", data.state_dir),
            ("store", store),
            ("license", f"{tier_title(data.license_tier)} (5 shows it)"),
            ("pipelines", str(data.pipelines)),
            ("runs", f"{data.running_runs} running, {data.queued_runs} queued"),
        ]
        width = max(len(key) for key, _ in rows)
        self.query_one("#agent-status", Static).update(
            "\n".join(f"{key.rjust(width)}  {value}" for key, value in rows)
        )
        self.sub_title = f"agent {data.version}"
