"""The license screen: the license in force as the agent judges it, and today's usage.

Everything shown comes from the agent's `GetLicense`: the agent enforces the license, so
its view of the clock, the key and the counts is the one that matters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnix.tui.components.agent_view import AgentView, when
from omnix.tui.summaries import LicenseSummary, LimitUsage
from textual.app import ComposeResult
from textual.widgets import Static

if TYPE_CHECKING:
    from omnix.tui.session import AgentSession

TIERS = ("free", "team", "business", "enterprise")

STATE_SYMBOL = {
    "valid": "✔",
    "expiring": "⚠",
    "expired": "✘",
    "invalid": "✘",
    "absent": "○",
}


def tier_title(tier: str) -> str:
    """ "Team" for "team"; an unknown name as the agent sent it."""
    return tier.capitalize() if tier in TIERS else tier or "unknown"


def license_warning(data: LicenseSummary) -> str:
    """What the header adds after the tier: days left while expiring, why an installed
    license no longer counts; nothing otherwise."""
    if data.state == "expiring" and data.days_left is not None:
        return f" ⚠ {data.days_left} days left"
    if data.state in ("expired", "invalid"):
        return f" ✘ license {data.state}"
    return ""


def _usage(limit: LimitUsage) -> str:
    allowed = "unlimited" if limit.allowed is None else f"{limit.allowed:,}"
    if limit.used is None:
        return allowed
    return f"{limit.used:,} of {allowed}"


def license_rows(data: LicenseSummary) -> list[tuple[str, str]]:
    """The license screen's lines: tier and state, the license's terms when one is
    installed, each limit with its usage, languages and features."""
    rows = [
        ("tier", tier_title(data.tier)),
        ("license", f"{STATE_SYMBOL.get(data.state, '?')} {data.state}"),
    ]
    if data.customer:
        rows.append(("customer", data.customer))
        rows.append(("seats", str(data.seats) if data.seats else "as the tier allows"))
        rows.append(("issued", when(data.issued_at, "UTC")))
        left = "" if data.days_left is None else f" ({data.days_left} days left)"
        if data.days_left is not None and data.days_left < 0:
            left = " (expired)"
        rows.append(("expires", when(data.expires_at, "UTC") + left))
        rows.append(("id", data.license_id))
    for limit in data.limits:
        rows.append((limit.name, _usage(limit)))
    languages = "every language" if "*" in data.languages else ", ".join(data.languages)
    rows.append(("languages", languages or "—"))
    included = [name for name, has in data.features if has]
    rows.append(("features", ", ".join(included) or "—"))
    return rows


class LicenseScreen(AgentView[LicenseSummary]):
    """The license in force, its terms and today's usage, refreshed every half minute."""

    REFRESH_S = 30.0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="license-status")
        yield Static("", id="license-message")

    def fetch(self, session: AgentSession) -> LicenseSummary:
        return session.license()

    def show(self, data: LicenseSummary) -> None:
        rows = license_rows(data)
        width = max(len(key) for key, _ in rows)
        self.query_one("#license-status", Static).update(
            "\n".join(f"{key.rjust(width)}  {value}" for key, value in rows)
        )
        self.query_one("#license-message", Static).update(data.message)
        self.sub_title = f"{tier_title(data.tier)} tier"
