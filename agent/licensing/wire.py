"""A `LicenseReport` as a `LicenseInfo` message and back, so the agent's reply and a local
reading print the same way."""

from __future__ import annotations

from datetime import UTC, datetime

from omnix.agent.licensing.report import LicenseReport
from omnix.shared.tiers import Tier
from omnix.v1 import license_pb2

_STATES = {
    "valid": license_pb2.LICENSE_STATE_VALID,
    "expiring": license_pb2.LICENSE_STATE_EXPIRING,
    "expired": license_pb2.LICENSE_STATE_EXPIRED,
    "invalid": license_pb2.LICENSE_STATE_INVALID,
    "absent": license_pb2.LICENSE_STATE_ABSENT,
}
_STATE_NAMES = {value: name for name, value in _STATES.items()}


def _epoch(moment: datetime | None) -> float:
    return moment.timestamp() if moment is not None else 0.0


def _moment(epoch: float) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch else None


def info_message(report: LicenseReport) -> license_pb2.LicenseInfo:
    """The message for a report (with its usage, when it has one)."""
    usage = report.usage or {}
    return license_pb2.LicenseInfo(
        tier=report.tier.value,
        state=_STATES[report.state],
        message=report.summary,
        problem=report.problem or "",
        licensed_tier=report.licensed_tier.value if report.licensed_tier else "",
        customer=report.customer or "",
        seats=report.seats or 0,
        issued_at=_epoch(report.issued),
        expires_at=_epoch(report.expires),
        days_left=report.days_left,
        license_id=report.license_id or "",
        fingerprint=report.fingerprint or "",
        features=[
            license_pb2.LicenseFeature(name=name, included=included)
            for name, included in report.features.items()
        ],
        limits=[
            license_pb2.LicenseLimit(name=name, allowed=allowed, used=usage.get(name))
            for name, allowed in report.limits.items()
        ],
        languages=["*"] if report.languages is None else list(report.languages),
        judged_at=_epoch(report.judged_at),
    )


def report_from_message(
    info: license_pb2.LicenseInfo, key_file: str, *, usage_source: str = ""
) -> LicenseReport:
    """The report in an agent's reply."""
    languages = list(info.languages)
    return LicenseReport(
        tier=Tier(info.tier),
        state=_STATE_NAMES.get(info.state, "absent"),
        summary=info.message,
        problem=info.problem or None,
        licensed_tier=Tier(info.licensed_tier) if info.licensed_tier else None,
        customer=info.customer or None,
        license_id=info.license_id or None,
        fingerprint=info.fingerprint or None,
        seats=info.seats or None,
        issued=_moment(info.issued_at),
        expires=_moment(info.expires_at),
        days_left=info.days_left if info.HasField("days_left") else None,
        judged_at=_moment(info.judged_at),
        features={f.name: f.included for f in info.features},
        limits={
            limit.name: limit.allowed if limit.HasField("allowed") else None
            for limit in info.limits
        },
        languages=None if languages == ["*"] else tuple(languages),
        key_file=key_file,
        usage={limit.name: limit.used for limit in info.limits if limit.HasField("used")},
        usage_source=usage_source,
    )
