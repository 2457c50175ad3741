"""The `license show` document (`omnix.agent.licensing.report`) as a `LicenseInfo` message and
back, so the agent's reply and a local reading print the same way."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from omnix.v1 import license_pb2

_STATES = {
    "valid": license_pb2.LICENSE_STATE_VALID,
    "expiring": license_pb2.LICENSE_STATE_EXPIRING,
    "expired": license_pb2.LICENSE_STATE_EXPIRED,
    "invalid": license_pb2.LICENSE_STATE_INVALID,
    "absent": license_pb2.LICENSE_STATE_ABSENT,
}
_STATE_NAMES = {value: name for name, value in _STATES.items()}


def _epoch(iso: str | None) -> float:
    return datetime.fromisoformat(iso).timestamp() if iso else 0.0


def _iso(epoch: float) -> str | None:
    return datetime.fromtimestamp(epoch, UTC).isoformat() if epoch else None


def info_message(report: dict[str, Any]) -> license_pb2.LicenseInfo:
    """The message for a `license_report` document (with its usage, when it has one)."""
    usage: dict[str, int] = report.get("usage") or {}
    languages = report["languages"]
    return license_pb2.LicenseInfo(
        tier=report["tier"],
        state=_STATES[report["state"]],
        message=report["summary"],
        problem=report["problem"] or "",
        licensed_tier=report["licensed_tier"] or "",
        customer=report["customer"] or "",
        seats=report["seats"] or 0,
        issued_at=_epoch(report["issued"]),
        expires_at=_epoch(report["expires"]),
        days_left=report["days_left"],
        license_id=report["license_id"] or "",
        fingerprint=report["fingerprint"] or "",
        features=[
            license_pb2.LicenseFeature(name=name, included=included)
            for name, included in report["features"].items()
        ],
        limits=[
            license_pb2.LicenseLimit(name=name, allowed=allowed, used=usage.get(name))
            for name, allowed in report["limits"].items()
        ],
        languages=["*"] if languages == "all" else languages,
        judged_at=_epoch(report.get("judged_at")),
    )


def report_from_message(info: license_pb2.LicenseInfo, key_file: str) -> dict[str, Any]:
    """The `license_report` document for an agent's reply."""
    return {
        "tier": info.tier,
        "state": _STATE_NAMES.get(info.state, "absent"),
        "summary": info.message,
        "problem": info.problem or None,
        "licensed_tier": info.licensed_tier or None,
        "customer": info.customer or None,
        "license_id": info.license_id or None,
        "fingerprint": info.fingerprint or None,
        "seats": info.seats or None,
        "issued": _iso(info.issued_at),
        "expires": _iso(info.expires_at),
        "days_left": info.days_left if info.HasField("days_left") else None,
        "judged_at": _iso(info.judged_at),
        "features": {f.name: f.included for f in info.features},
        "limits": {
            limit.name: limit.allowed if limit.HasField("allowed") else None
            for limit in info.limits
        },
        "languages": "all" if list(info.languages) == ["*"] else list(info.languages),
        "key_file": key_file,
        "usage": {limit.name: limit.used for limit in info.limits if limit.HasField("used")},
    }
