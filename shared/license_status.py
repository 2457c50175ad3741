"""Whether a license holds at a given moment: valid, expiring, expired, invalid or absent.

Expiry is judged against the later of the wall clock and the newest timestamp the agent has
recorded, so winding the clock back does not revive an expired license. Anything but a valid
or expiring license means the Free tier; nothing is deleted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from omnix.shared.licensing import InvalidLicenseKey, License, LicenseVerifier
from omnix.shared.tiers import Tier

EXPIRY_WARNING = timedelta(days=14)
"""How long before expiry a license is reported as expiring."""


class LicenseState(enum.Enum):
    """Where a license stands. Only VALID and EXPIRING grant the license's tier."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    INVALID = "invalid"
    ABSENT = "absent"


@dataclass(frozen=True, slots=True)
class LicenseStatus:
    """A license (or its absence) judged at `judged_at`."""

    state: LicenseState
    judged_at: datetime
    """The moment used: the later of the wall clock and the newest recorded timestamp."""
    license: License | None = None
    """The verified license; None when absent or invalid."""
    problem: str | None = None
    """Why the key is invalid, for INVALID."""

    @property
    def in_force(self) -> License | None:
        """The license while it holds (valid or expiring), else None."""
        if self.state in (LicenseState.VALID, LicenseState.EXPIRING):
            return self.license
        return None

    @property
    def tier(self) -> Tier:
        """The tier in force: the license's while it holds, Free otherwise."""
        return Tier.FREE if self.in_force is None else self.in_force.tier

    @property
    def days_left(self) -> int | None:
        """Whole days until expiry (0 on the last day, negative once expired); None without one."""
        if self.license is None:
            return None
        return (self.license.terms.expires - self.judged_at) // timedelta(days=1)

    def remaining(self) -> str:
        """The days left as people say it: "12 days left", "expires today", "expired"."""
        days = self.days_left
        if days is None or self.state is LicenseState.EXPIRED:
            return "expired" if days is not None else "no expiry"
        return "expires today" if days == 0 else f"{days} day{'s' if days != 1 else ''} left"

    def summary(self) -> str:
        """One line for people: what is installed and what it means."""
        if self.license is None:
            if self.state is LicenseState.INVALID:
                return f"the installed license key is not valid ({self.problem}); running on the Free tier"
            return "no license installed; running on the Free tier"
        terms = self.license.terms
        title = terms.tier.title
        until = terms.expires.strftime("%Y-%m-%d %H:%M UTC")
        if self.state is LicenseState.EXPIRED:
            return f"the {title} license for {terms.customer} expired at {until}; running on the Free tier"
        left = self.remaining()
        note = "; renew it soon" if self.state is LicenseState.EXPIRING else ""
        return f"{title} license for {terms.customer}, valid until {until} ({left}){note}"


def judge_license(
    license: License | None, *, now: datetime, newest_recorded: datetime | None = None
) -> LicenseStatus:
    """The status of an already verified `license` (or of having none) at `now`.

    `newest_recorded` is the newest timestamp the agent has written (runs, audit log); a clock
    set back before it does not make time run backwards for licensing.
    """
    judged_at = _judged_at(now, newest_recorded)
    if license is None:
        return LicenseStatus(LicenseState.ABSENT, judged_at)
    expires = license.terms.expires
    if judged_at >= expires:
        state = LicenseState.EXPIRED
    elif expires - judged_at <= EXPIRY_WARNING:
        state = LicenseState.EXPIRING
    else:
        state = LicenseState.VALID
    return LicenseStatus(state, judged_at, license)


def judge_key(
    key: str | None,
    *,
    now: datetime,
    newest_recorded: datetime | None = None,
    verifier: LicenseVerifier | None = None,
) -> LicenseStatus:
    """Verify `key` (None: nothing installed) and judge it at `now`; never raises for a bad key."""
    if key is None:
        return judge_license(None, now=now, newest_recorded=newest_recorded)
    try:
        license = (verifier or LicenseVerifier()).verify(key)
    except InvalidLicenseKey as exc:
        return LicenseStatus(
            LicenseState.INVALID, _judged_at(now, newest_recorded), problem=exc.reason
        )
    return judge_license(license, now=now, newest_recorded=newest_recorded)


def _judged_at(now: datetime, newest_recorded: datetime | None) -> datetime:
    """The later of the clock and the newest recorded timestamp: time never runs backwards."""
    for moment in (now, newest_recorded):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError("licensing needs times with a time zone (use datetime.now(UTC))")
    return now if newest_recorded is None else max(now, newest_recorded)
