"""The license screen: the tier in force on the agent and what that tier allows.

The agent reports only the tier's name; what the tier allows comes from the shared tier
table (the same one the agent enforces), and usage is shown where the agent reports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnix.shared.tiers import ALL_LANGUAGES, Limit, Tier, spec
from omnix.tui.components.agent_view import AgentView
from omnix.tui.summaries import AgentSummary
from textual.app import ComposeResult
from textual.widgets import Static

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession

NOT_REPORTED = (
    "The agent does not report the license's customer, expiry or today's executions; "
    "`omnix-agent license show` on the agent's machine does."
)


def tier_title(tier: str) -> str:
    """ "Team" for "team"; an unknown name as the agent sent it."""
    try:
        return Tier(tier).title
    except ValueError:
        return tier or "unknown"


def _ceiling(value: int | None) -> str:
    return "unlimited" if value is None else f"{value:,}"


def license_rows(data: AgentSummary) -> list[tuple[str, str]]:
    """The license screen's lines: tier, then each limit (with usage where known),
    languages and features."""
    rows = [("tier", tier_title(data.license_tier))]
    try:
        allowed = spec(Tier(data.license_tier))
    except ValueError:
        return [*rows, ("limits", f"unknown tier {data.license_tier!r}: no limits to show")]
    usage = {Limit.PIPELINES: data.pipelines}
    for limit in Limit:
        ceiling = _ceiling(allowed.limit(limit))
        used = usage.get(limit)
        rows.append((limit.value, ceiling if used is None else f"{used:,} of {ceiling}"))
    languages = (
        "every language, plugins too"
        if allowed.languages is ALL_LANGUAGES
        else ", ".join(sorted(allowed.languages))
    )
    rows.append(("languages", languages))
    features = ", ".join(sorted(feature.value for feature in allowed.features))
    rows.append(("features", features or "—"))
    return rows


class LicenseScreen(AgentView[AgentSummary]):
    """The license tier in force and its limits, refreshed with the agent's status."""

    REFRESH_S = 30.0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="license-status")
        yield Static(NOT_REPORTED, id="license-note")

    def fetch(self, session: AgentSession) -> AgentSummary:
        return session.status()

    def show(self, data: AgentSummary) -> None:
        rows = license_rows(data)
        width = max(len(key) for key, _ in rows)
        self.query_one("#license-status", Static).update(
            "\n".join(f"{key.rjust(width)}  {value}" for key, value in rows)
        )
        self.sub_title = f"{tier_title(data.license_tier)} tier"
