"""Fixtures for licensing tests: a throwaway signing key, trusted in-process only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.agent.licensing.entitlements import Entitlements
from omnix.shared import licensing
from omnix.shared.license_status import judge_license
from omnix.shared.licensing import License, LicenseTerms, LicenseVerifier, sign_license
from omnix.shared.tiers import Tier

ISSUED = datetime(2026, 11, 1, tzinfo=UTC)
EXPIRES = datetime(2028, 1, 1, tzinfo=UTC)
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

Issue = Callable[..., str]


@pytest.fixture(scope="session")
def signing_key() -> Ed25519PrivateKey:
    """A throwaway key pair standing in for the vendor's, made fresh for each test session."""
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="session")
def verifier(signing_key: Ed25519PrivateKey) -> LicenseVerifier:
    """A verifier that trusts the throwaway key (and only it)."""
    return LicenseVerifier([signing_key.public_key()])


@pytest.fixture(scope="session")
def issue(signing_key: Ed25519PrivateKey) -> Issue:
    """`issue(tier=..., customer=..., seats=..., issued=..., expires=...)` -> a signed key."""

    def make(
        tier: Tier = Tier.TEAM,
        customer: str = "Acme",
        seats: int | None = None,
        issued: datetime = ISSUED,
        expires: datetime = EXPIRES,
    ) -> str:
        return sign_license(LicenseTerms(customer, tier, issued, expires, seats), signing_key)

    return make


@pytest.fixture
def trust_throwaway_key(monkeypatch: pytest.MonkeyPatch, signing_key: Ed25519PrivateKey) -> None:
    """Make the default verifier trust the throwaway key, in this process only."""
    monkeypatch.setattr(licensing, "vendor_keys", lambda: (signing_key.public_key(),))


@pytest.fixture(scope="session")
def entitlements_for(issue: Issue, verifier: LicenseVerifier) -> Callable[..., Entitlements]:
    """`entitlements_for(tier, seats=None)`: what a valid license of `tier` allows at NOW."""

    def make(tier: Tier, seats: int | None = None) -> Entitlements:
        license: License = verifier.verify(issue(tier=tier, seats=seats))
        return Entitlements(judge_license(license, now=NOW))

    return make
