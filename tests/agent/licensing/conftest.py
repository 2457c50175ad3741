"""Fixtures for licensing tests: a throwaway signing key, trusted in-process only."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from omnix.agent.licensing.entitlements import Entitlements
from omnix.shared.license_status import judge_license
from omnix.shared.licensing import License, LicenseVerifier
from omnix.shared.tiers import Tier

from tests.agent.licenses import EXPIRES, ISSUED, NOW, Issue

__all__ = ["EXPIRES", "ISSUED", "NOW", "Issue"]


@pytest.fixture(scope="session")
def entitlements_for(issue: Issue, verifier: LicenseVerifier) -> Callable[..., Entitlements]:
    """`entitlements_for(tier, seats=None)`: what a valid license of `tier` allows at NOW."""

    def make(tier: Tier, seats: int | None = None) -> Entitlements:
        license: License = verifier.verify(issue(tier=tier, seats=seats))
        return Entitlements(judge_license(license, now=NOW))

    return make
