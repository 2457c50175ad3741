"""`omnix-agent license show`: the license in force, its features and limits, as JSON or text."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from omnix.agent.licensing.entitlements import Entitlements
from omnix.shared.tiers import (
    ALL_LANGUAGES,
    Feature,
    Limit,
    Tier,
    cheapest_tier_with_feature,
    format_limit,
)

_TIME = "%Y-%m-%d %H:%M UTC"


@dataclass(frozen=True, slots=True)
class LicenseReport:
    """The license in force as `license show` and `GetLicense` report it: read from the key
    file locally (`license_report`) or from an agent's reply (`licensing.wire`)."""

    tier: Tier
    state: str
    """A `LicenseState` value, or "absent" when no key is installed."""
    summary: str
    problem: str | None
    licensed_tier: Tier | None
    customer: str | None
    license_id: str | None
    fingerprint: str | None
    seats: int | None
    issued: datetime | None
    expires: datetime | None
    days_left: int | None
    judged_at: datetime | None
    features: Mapping[str, bool]
    limits: Mapping[str, int | None]
    """Per limit name, the allowance; None when unlimited."""
    languages: tuple[str, ...] | None
    """The languages the tier runs; None for all of them."""
    key_file: str
    usage: Mapping[str, int] | None = None
    """Today's counts per limit name, when the agent's store was read."""
    usage_source: str = ""
    """Where the usage came from (the running agent, the store file, or none)."""

    def to_json(self) -> dict[str, Any]:
        """The `--json` document: limits null when unlimited, `usage` only when read."""
        document: dict[str, Any] = {
            "tier": self.tier.value,
            "state": self.state,
            "summary": self.summary,
            "problem": self.problem,
            "licensed_tier": self.licensed_tier.value if self.licensed_tier else None,
            "customer": self.customer,
            "license_id": self.license_id,
            "fingerprint": self.fingerprint,
            "seats": self.seats,
            "issued": self.issued.isoformat() if self.issued else None,
            "expires": self.expires.isoformat() if self.expires else None,
            "days_left": self.days_left,
            "judged_at": self.judged_at.isoformat() if self.judged_at else None,
            "features": dict(self.features),
            "limits": dict(self.limits),
            "languages": "all" if self.languages is None else list(self.languages),
            "key_file": self.key_file,
        }
        if self.usage is not None:
            document["usage"] = dict(self.usage)
        if self.usage_source:
            document["usage_source"] = self.usage_source
        return document


def license_report(
    entitlements: Entitlements, key_file: Path, usage: Mapping[Limit, int] | None = None
) -> LicenseReport:
    """The report for these entitlements. `usage` (today's counts from the agent's store) is
    included when given."""
    status = entitlements.status
    license = status.license if status is not None else None
    terms = license.terms if license is not None else None
    spec = entitlements.spec
    languages = spec.languages
    return LicenseReport(
        tier=entitlements.tier,
        state=status.state.value if status is not None else "absent",
        summary=status.summary() if status is not None else "running on the Free tier",
        problem=status.problem if status is not None else None,
        licensed_tier=terms.tier if terms else None,
        customer=terms.customer if terms else None,
        license_id=terms.license_id if terms else None,
        fingerprint=license.fingerprint if license else None,
        seats=terms.seats if terms else None,
        issued=terms.issued if terms else None,
        expires=terms.expires if terms else None,
        days_left=status.days_left if status is not None else None,
        judged_at=status.judged_at if status is not None else None,
        features={feature.value: spec.has(feature) for feature in Feature},
        limits={limit.value: entitlements.limit(limit) for limit in Limit},
        languages=None if languages is ALL_LANGUAGES else tuple(sorted(languages)),
        key_file=str(key_file),
        usage=None
        if usage is None
        else {limit.value: usage[limit] for limit in Limit if limit in usage},
    )


def format_report(
    entitlements: Entitlements, key_file: Path, usage: Mapping[Limit, int] | None = None
) -> str:
    """The same facts as `license_report`, as aligned text for a terminal."""
    return format_document(license_report(entitlements, key_file, usage))


def format_document(report: LicenseReport) -> str:
    """A report (read locally or from an agent) as aligned text."""
    tier = report.tier
    lines = [f"Tier:         {tier.title} — {report.summary}"]
    if report.license_id is not None:
        seats = report.seats
        shown_seats = "as many as the tier allows" if seats is None else f"{seats:,}"
        licensed = report.licensed_tier.title if report.licensed_tier else "-"
        lines += [
            f"Customer:     {report.customer}",
            f"Licensed:     {licensed}, seats: {shown_seats}",
            f"Issued:       {_when(report.issued)}",
            f"Expires:      {_when(report.expires)} ({_remaining(report)})",
            f"License id:   {report.license_id} (fingerprint {(report.fingerprint or '')[:16]})",
        ]
    features = report.features
    included = [f.value for f in Feature if features.get(f.value)]
    lines.append(f"Features:     {', '.join(included) or 'none of the paid features'}")
    missing = []
    for feature in Feature:
        if not features.get(feature.value):
            upgrade = cheapest_tier_with_feature(feature, above=tier)
            missing.append(
                f"{feature.value} ({upgrade.title} and up)" if upgrade else feature.value
            )
    if missing:
        lines.append(f"Not included: {', '.join(missing)}")
    shown_languages = "all" if report.languages is None else ", ".join(report.languages)
    lines += [f"Languages:    {shown_languages}", "Limits:"]
    usage = report.usage
    for limit in Limit:
        shown = format_limit(report.limits.get(limit.value))
        if usage is not None and limit.value in usage:
            shown = f"{usage[limit.value]:,} of {shown} used"
        lines.append(f"  {limit.value:<20} {shown}")
    lines.append(f"Key file:     {report.key_file}")
    if report.usage_source:
        lines.append(f"Usage from:   {report.usage_source}")
    return "\n".join(lines)


def _when(moment: datetime | None) -> str:
    return moment.strftime(_TIME) if moment is not None else "-"


def _remaining(report: LicenseReport) -> str:
    """Like `LicenseStatus.remaining`, from the report."""
    days = report.days_left
    if days is None or report.state == "expired":
        return "expired" if days is not None else "no expiry"
    return "expires today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
