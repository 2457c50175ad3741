"""License keys: the byte layout, canonical spelling, and what the verifier refuses and why."""

from __future__ import annotations

import hashlib
import struct
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.shared.licensing import (
    SIGNING_CONTEXT,
    InvalidLicenseKey,
    LicenseTerms,
    LicenseTermsInvalid,
    LicenseVerifier,
    key_string,
)
from omnix.shared.tiers import Tier

from .conftest import EXPIRES, ISSUED, Issue

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648, restated here on purpose


def _decode(key: str) -> bytes:
    """Independent decoder for tests: base32 of the groups, minus the zero padding bits."""
    chars = "".join(key.split("-")[2:])
    bits = "".join(f"{ALPHABET.index(c):05b}" for c in chars)
    length = int(bits[22 * 8 : 23 * 8], 2)
    size = 23 + length + 64
    return int(bits[: size * 8], 2).to_bytes(size, "big")


def test_a_key_starts_with_the_prefix_and_its_tier_letter(issue: Issue) -> None:
    assert [issue(tier=t)[:8] for t in Tier] == ["OMNIX-F-", "OMNIX-T-", "OMNIX-B-", "OMNIX-E-"]


def test_the_body_is_dash_separated_groups_of_five_base32_characters(issue: Issue) -> None:
    groups = issue().split("-")[2:]
    assert all(len(g) == 5 and set(g) <= set(ALPHABET) for g in groups)


def test_payload_layout_is_as_documented(issue: Issue, signing_key: Ed25519PrivateKey) -> None:
    data = _decode(issue(tier=Tier.BUSINESS, customer="Zoë GmbH", seats=12))
    version, tier, license_id, seats, issued, expires, length = struct.unpack(
        ">BB8sIIIB", data[:23]
    )
    customer = data[23 : 23 + length]
    signature = data[23 + length :]
    assert (version, tier, seats, length) == (1, 2, 12, len("Zoë GmbH".encode()))
    assert (issued, expires) == (int(ISSUED.timestamp()), int(EXPIRES.timestamp()))
    assert customer.decode() == "Zoë GmbH" and len(license_id) == 8
    signing_key.public_key().verify(signature, SIGNING_CONTEXT + data[: 23 + length])


def test_verifying_returns_the_signed_terms(issue: Issue, verifier: LicenseVerifier) -> None:
    license = verifier.verify(issue(tier=Tier.ENTERPRISE, customer="Initech", seats=250))
    terms = license.terms
    assert (terms.tier, terms.customer, terms.seats) == (Tier.ENTERPRISE, "Initech", 250)
    assert (terms.issued, terms.expires) == (ISSUED, EXPIRES)


def test_a_license_is_identified_by_the_hash_of_its_signed_content(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    key = issue()
    license = verifier.verify(key)
    payload = _decode(key)[:-64]
    assert license.fingerprint == hashlib.sha256(payload).hexdigest()


def test_two_issues_of_the_same_terms_are_different_licenses(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    first, second = verifier.verify(issue()), verifier.verify(issue())
    assert first.terms.license_id != second.terms.license_id
    assert first.fingerprint != second.fingerprint


def test_surrounding_whitespace_is_the_one_normalisation(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    key = issue()
    pasted = verifier.verify(f"  \t{key}\r\n")
    assert pasted.key == key
    assert pasted.fingerprint == verifier.verify(key).fingerprint


def test_unicode_whitespace_around_a_key_is_not_stripped(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    with pytest.raises(InvalidLicenseKey, match="spaces or line breaks"):
        verifier.verify(f"\u00a0{issue()}")


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (lambda k: "", "it is empty"),
        (lambda k: k.lower(), "lower-case"),
        (lambda k: k[:10] + k[10:].lower(), "lower-case"),
        (lambda k: k.replace("-", ""), "does not start with OMNIX-"),
        (lambda k: "OMNIX-T" + k[8:], "not a tier letter"),
        (lambda k: k[:8] + k[8:].replace("-", "", 1), "characters instead of 5"),
        (lambda k: k[:8] + k[8:].replace("-", "--", 1), "group 2 has 0 characters"),
        (lambda k: k + "=", "'='"),
        (lambda k: k + "-", "0 characters"),
        (lambda k: k + "-AAAAA", "longer"),
        (lambda k: k.rsplit("-", 1)[0], "shorter"),
        (lambda k: k[:40], "characters instead of 5"),
        (lambda k: "OMNIX-T-AAAAA", "too short"),
        (lambda k: k.replace("-", " "), "spaces"),
        (lambda k: "KEY: " + k, "spaces"),
        (lambda k: k[:20] + "0" + k[21:], "'0'"),
        (lambda k: k[:20] + "1" + k[21:], "'1'"),
    ],
    ids=[
        "empty",
        "lower",
        "partly-lower",
        "no-dashes",
        "letter-glued",
        "dash-missing",
        "double-dash",
        "padding",
        "trailing-dash",
        "extra-group",
        "missing-group",
        "truncated",
        "header-only",
        "spaces-for-dashes",
        "label-in-front",
        "zero-digit",
        "one-digit",
    ],
)
def test_malformed_keys_are_refused_naming_the_problem(
    issue: Issue, verifier: LicenseVerifier, spoil: object, reason: str
) -> None:
    key = issue(tier=Tier.TEAM)
    assert callable(spoil)
    with pytest.raises(InvalidLicenseKey) as caught:
        verifier.verify(spoil(key))
    assert reason in caught.value.reason
    assert caught.value.hint


def test_a_changed_tier_letter_is_refused_even_with_a_good_signature(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    key = issue(tier=Tier.TEAM)
    with pytest.raises(InvalidLicenseKey, match="tier letter E does not match the Team tier"):
        verifier.verify("OMNIX-E" + key[7:])


def test_nonzero_padding_bits_are_refused(issue: Issue, verifier: LicenseVerifier) -> None:
    # "Acme" makes 91 bytes = 728 bits in 730: the last character carries two padding bits.
    key = issue(customer="Acme")
    last = ALPHABET.index(key[-1])
    assert last & 0b11 == 0
    spoiled = key[:-1] + ALPHABET[last | 1]
    with pytest.raises(InvalidLicenseKey, match="does not end the way a key ends"):
        verifier.verify(spoiled)


def test_a_key_signed_by_another_key_is_refused(issue: Issue) -> None:
    stranger = LicenseVerifier([Ed25519PrivateKey.generate().public_key()])
    with pytest.raises(InvalidLicenseKey, match="not signed by Omnix"):
        stranger.verify(issue())


def test_any_trusted_key_verifies(issue: Issue, signing_key: Ed25519PrivateKey) -> None:
    both = LicenseVerifier([Ed25519PrivateKey.generate().public_key(), signing_key.public_key()])
    assert both.verify(issue()).terms.customer == "Acme"


def test_an_unknown_format_version_is_refused_asking_for_an_upgrade(
    issue: Issue, signing_key: Ed25519PrivateKey, verifier: LicenseVerifier
) -> None:
    payload = bytearray(_decode(issue())[:-64])
    payload[0] = 2
    key = key_string(Tier.TEAM, bytes(payload) + signing_key.sign(SIGNING_CONTEXT + payload))
    with pytest.raises(InvalidLicenseKey, match="key format 2") as caught:
        verifier.verify(key)
    assert "upgrade omnix" in caught.value.hint


def test_a_signature_without_the_signing_context_is_refused(
    issue: Issue, signing_key: Ed25519PrivateKey, verifier: LicenseVerifier
) -> None:
    payload = _decode(issue())[:-64]
    key = key_string(Tier.TEAM, payload + signing_key.sign(payload))
    with pytest.raises(InvalidLicenseKey, match="not signed by Omnix"):
        verifier.verify(key)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"customer": ""}, "non-empty"),
        ({"customer": " Acme"}, "surrounding spaces"),
        ({"customer": "x" * 65}, "at most 64"),
        ({"customer": "Acme\nCorp"}, "control"),
        ({"customer": "Zoe\u0308"}, "NFC"),
        ({"expires": ISSUED}, "later than issued"),
        ({"issued": datetime(2026, 11, 1)}, "time zone"),
        ({"issued": datetime(2026, 11, 1, 0, 0, 0, 5, tzinfo=UTC)}, "whole seconds"),
        ({"expires": datetime(2107, 1, 1, tzinfo=UTC)}, "2106"),
        ({"seats": 0}, "positive"),
        ({"license_id": "ABCDEF0123456789"}, "lower-case hex"),
        ({"license_id": "zz"}, "hex"),
    ],
)
def test_terms_that_cannot_be_issued_are_refused(fields: dict[str, object], message: str) -> None:
    terms: dict[str, object] = {
        "customer": "Acme",
        "tier": Tier.TEAM,
        "issued": ISSUED,
        "expires": EXPIRES,
    }
    with pytest.raises(LicenseTermsInvalid, match=message):
        LicenseTerms(**(terms | fields))  # type: ignore[arg-type]


def test_the_longest_customer_name_makes_a_valid_key(
    issue: Issue, verifier: LicenseVerifier
) -> None:
    name = "é" * 32  # 64 bytes of UTF-8
    assert verifier.verify(issue(customer=name)).terms.customer == name
