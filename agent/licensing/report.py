"""`omnix-agent license show`: the license in force, its features and limits, as JSON or text."""

from __future__ import annotations

from collections.abc import Mapping
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


def license_report(
    entitlements: Entitlements, key_file: Path, usage: Mapping[Limit, int] | None = None
) -> dict[str, Any]:
    """The `--json` document. `usage` (today's counts from the agent's store) is included when
    given; limits are null when unlimited."""
    status = entitlements.status
    license = status.license if status is not None else None
    terms = license.terms if license is not None else None
    spec = entitlements.spec
    languages = spec.languages
    report: dict[str, Any] = {
        "tier": entitlements.tier.value,
        "state": status.state.value if status is not None else "absent",
        "summary": status.summary() if status is not None else "running on the Free tier",
        "problem": status.problem if status is not None else None,
        "licensed_tier": terms.tier.value if terms else None,
        "customer": terms.customer if terms else None,
        "license_id": terms.license_id if terms else None,
        "fingerprint": license.fingerprint if license else None,
        "seats": terms.seats if terms else None,
        "issued": terms.issued.isoformat() if terms else None,
        "expires": terms.expires.isoformat() if terms else None,
        "days_left": status.days_left if status is not None else None,
        "judged_at": status.judged_at.isoformat() if status is not None else None,
        "features": {feature.value: spec.has(feature) for feature in Feature},
        "limits": {limit.value: entitlements.limit(limit) for limit in Limit},
        "languages": "all" if languages is ALL_LANGUAGES else sorted(languages),
        "key_file": str(key_file),
    }
    if usage is not None:
        report["usage"] = {limit.value: usage[limit] for limit in Limit if limit in usage}
    return report


def format_report(
    entitlements: Entitlements, key_file: Path, usage: Mapping[Limit, int] | None = None
) -> str:
    """The same facts as `license_report`, as aligned text for a terminal."""
    return format_document(license_report(entitlements, key_file, usage))


def format_document(report: Mapping[str, Any]) -> str:
    """A `license_report` document (read locally or from an agent) as aligned text."""
    tier = Tier(report["tier"])
    lines = [f"Tier:         {tier.title} — {report['summary']}"]
    if report["license_id"] is not None:
        seats = report["seats"]
        shown_seats = "as many as the tier allows" if seats is None else f"{seats:,}"
        issued = datetime.fromisoformat(report["issued"])
        expires = datetime.fromisoformat(report["expires"])
        lines += [
            f"Customer:     {report['customer']}",
            f"Licensed:     {Tier(report['licensed_tier']).title}, seats: {shown_seats}",
            f"Issued:       {issued.strftime(_TIME)}",
            f"Expires:      {expires.strftime(_TIME)} ({_remaining(report)})",
            f"License id:   {report['license_id']} (fingerprint {report['fingerprint'][:16]})",
        ]
    features = report["features"]
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
    languages = report["languages"]
    shown_languages = "all" if languages == "all" else ", ".join(languages)
    lines += [f"Languages:    {shown_languages}", "Limits:"]
    usage = report.get("usage")
    for limit in Limit:
        shown = format_limit(report["limits"].get(limit.value))
        if usage is not None and limit.value in usage:
            shown = f"{usage[limit.value]:,} of {shown} used"
        lines.append(f"  {limit.value:<20} {shown}")
    lines.append(f"Key file:     {report['key_file']}")
    if report.get("usage_source"):
        lines.append(f"Usage from:   {report['usage_source']}")
    return "\n".join(lines)


def _remaining(report: Mapping[str, Any]) -> str:
    """Like `LicenseStatus.remaining`, from the document."""
    days = report["days_left"]
    if days is None or report["state"] == "expired":
        return "expired" if days is not None else "no expiry"
    return "expires today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"
