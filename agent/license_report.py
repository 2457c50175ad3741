"""`omnix-agent license show`: the license in force, its features and limits, as JSON or text."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omnix.agent.entitlements import Entitlements
from omnix.shared.tiers import (
    ALL_LANGUAGES,
    Feature,
    Limit,
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
    status = entitlements.status
    license = status.license if status is not None else None
    summary = status.summary() if status is not None else "running on the Free tier"
    lines = [f"Tier:         {entitlements.tier.title} — {summary}"]
    if license is not None and status is not None:
        terms = license.terms
        seats = "as many as the tier allows" if terms.seats is None else f"{terms.seats:,}"
        lines += [
            f"Customer:     {terms.customer}",
            f"Licensed:     {terms.tier.title}, seats: {seats}",
            f"Issued:       {terms.issued.strftime(_TIME)}",
            f"Expires:      {terms.expires.strftime(_TIME)} ({status.remaining()})",
            f"License id:   {terms.license_id} (fingerprint {license.fingerprint[:16]})",
        ]
    included = [f.value for f in Feature if entitlements.has(f)]
    lines.append(f"Features:     {', '.join(included) or 'none of the paid features'}")
    missing = []
    for feature in Feature:
        if not entitlements.has(feature):
            upgrade = cheapest_tier_with_feature(feature, above=entitlements.tier)
            missing.append(
                f"{feature.value} ({upgrade.title} and up)" if upgrade else feature.value
            )
    if missing:
        lines.append(f"Not included: {', '.join(missing)}")
    languages = entitlements.spec.languages
    shown_languages = "all" if languages is ALL_LANGUAGES else ", ".join(sorted(languages))
    lines += [f"Languages:    {shown_languages}", "Limits:"]
    for limit in Limit:
        shown = format_limit(entitlements.limit(limit))
        if usage is not None and limit in usage:
            shown = f"{usage[limit]:,} of {shown} used"
        lines.append(f"  {limit.value:<20} {shown}")
    lines.append(f"Key file:     {key_file}")
    return "\n".join(lines)
