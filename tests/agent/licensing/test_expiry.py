"""A license's status over time: valid, expiring from 14 days out, expired; clock rollback."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from omnix.shared.license_status import LicenseState, judge_key, judge_license
from omnix.shared.licensing import License, LicenseVerifier
from omnix.shared.tiers import Tier

from .conftest import EXPIRES, ISSUED, Issue

SECOND = timedelta(seconds=1)


@pytest.fixture
def team(issue: Issue, verifier: LicenseVerifier) -> License:
    return verifier.verify(issue(tier=Tier.TEAM))


@pytest.mark.parametrize(
    ("moment", "state"),
    [
        (ISSUED, LicenseState.VALID),
        (EXPIRES - timedelta(days=14) - SECOND, LicenseState.VALID),
        (EXPIRES - timedelta(days=14), LicenseState.EXPIRING),
        (EXPIRES - SECOND, LicenseState.EXPIRING),
        (EXPIRES, LicenseState.EXPIRED),
        (EXPIRES + timedelta(days=400), LicenseState.EXPIRED),
    ],
    ids=["issued", "15-days-out", "14-days-out", "last-second", "expiry", "long-after"],
)
def test_state_at_each_boundary(team: License, moment: datetime, state: LicenseState) -> None:
    assert judge_license(team, now=moment).state is state


@pytest.mark.parametrize(
    ("state", "tier"),
    [(LicenseState.VALID, Tier.TEAM), (LicenseState.EXPIRING, Tier.TEAM)],
)
def test_a_valid_or_expiring_license_grants_its_tier(
    team: License, state: LicenseState, tier: Tier
) -> None:
    moment = EXPIRES - timedelta(days=30 if state is LicenseState.VALID else 3)
    status = judge_license(team, now=moment)
    assert (status.state, status.tier) == (state, tier)


def test_an_expired_license_degrades_to_free_but_is_still_reported(team: License) -> None:
    status = judge_license(team, now=EXPIRES)
    assert status.tier is Tier.FREE
    assert status.license == team
    assert "expired" in status.summary() and "Free tier" in status.summary()


def test_rolling_the_clock_back_does_not_revive_an_expired_license(team: License) -> None:
    recorded = EXPIRES + timedelta(hours=2)
    status = judge_license(team, now=EXPIRES - timedelta(days=100), newest_recorded=recorded)
    assert status.state is LicenseState.EXPIRED
    assert status.judged_at == recorded


def test_a_rolled_back_clock_still_sees_the_warning_window(team: License) -> None:
    recorded = EXPIRES - timedelta(days=2)
    status = judge_license(team, now=EXPIRES - timedelta(days=60), newest_recorded=recorded)
    assert status.state is LicenseState.EXPIRING


def test_an_older_recorded_timestamp_changes_nothing(team: License) -> None:
    now = EXPIRES - timedelta(days=30)
    status = judge_license(team, now=now, newest_recorded=now - timedelta(days=5))
    assert (status.state, status.judged_at) == (LicenseState.VALID, now)


def test_days_left_counts_whole_days(team: License) -> None:
    assert judge_license(team, now=EXPIRES - timedelta(days=3, hours=1)).days_left == 3
    assert judge_license(team, now=EXPIRES - timedelta(hours=1)).days_left == 0
    assert judge_license(team, now=EXPIRES + timedelta(hours=1)).days_left == -1


def test_no_license_is_absent_and_free() -> None:
    status = judge_key(None, now=ISSUED)
    assert (status.state, status.tier, status.license) == (LicenseState.ABSENT, Tier.FREE, None)


def test_a_malformed_key_is_invalid_and_free_with_the_reason(verifier: LicenseVerifier) -> None:
    status = judge_key("OMNIX-T-NOPE", now=ISSUED, verifier=verifier)
    assert (status.state, status.tier) == (LicenseState.INVALID, Tier.FREE)
    assert status.problem is not None and "characters instead of 5" in status.problem
    assert status.problem in status.summary()


def test_a_key_from_an_untrusted_signer_is_invalid(issue: Issue) -> None:
    status = judge_key(issue(), now=ISSUED, verifier=LicenseVerifier())
    assert status.state is LicenseState.INVALID
    assert status.problem is not None and "not signed by Omnix" in status.problem


def test_a_clock_without_a_time_zone_is_a_programming_error(team: License) -> None:
    with pytest.raises(ValueError, match="time zone"):
        judge_license(team, now=datetime(2027, 1, 1))
