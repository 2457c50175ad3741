"""License keys (ARCHITECTURE §6): the signed payload, issuing, and strict offline verification.

A key is ``OMNIX-<tier letter>-`` followed by dash-separated groups of five base32 characters
that carry a compact binary payload and its Ed25519 signature; docs/licensing.md describes it
byte by byte. Exactly one string is accepted per license: `LicenseVerifier.verify` rebuilds the
canonical string from what it decoded and rejects the input unless they are identical (after
removing surrounding ASCII whitespace, the one documented normalisation).

Trust: the only trusted key is the vendor public key shipped in this package (`vendor_keys`).
No setting, flag or environment variable adds one; tests build a `LicenseVerifier` with their
own throwaway key, in-process.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import struct
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from omnix.shared.tiers import Tier

KEY_PREFIX = "OMNIX-"
FORMAT_VERSION = 1
SIGNING_CONTEXT = b"omnix-license-v1\x00"
"""Prepended to the payload before signing, so a vendor signature over anything else never
doubles as a license."""
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"  # RFC 4648 base32, upper case, no padding
GROUP = 5
SURROUNDING_WHITESPACE = " \t\r\n"
MAX_CUSTOMER_BYTES = 64
LICENSE_ID_BYTES = 8
SIGNATURE_BYTES = 64
_HEADER = struct.Struct(">BB8sIIIB")  # version, tier, license id, seats, issued, expires, len
_TIER_CODES = {Tier.FREE: 0, Tier.TEAM: 1, Tier.BUSINESS: 2, Tier.ENTERPRISE: 3}
_MAX_U32 = 2**32 - 1
_WHITESPACE = re.compile(r"\s")
_NOT_BASE32 = re.compile(f"[^{ALPHABET}]")
_TO_BITS = str.maketrans({c: f"{i:05b}" for i, c in enumerate(ALPHABET)})
VENDOR_KEY_RESOURCE = "omnix-vendor-ed25519.pub.pem"
FIX_HINT = "copy the whole key again exactly as it was issued, or ask Omnix for a new one"


class InvalidLicenseKey(ValueError):
    """A key string that is not a license this agent trusts: `reason` says what is wrong,
    `hint` what to do about it."""

    def __init__(self, reason: str, hint: str = FIX_HINT) -> None:
        self.reason = reason
        self.hint = hint
        super().__init__(f"invalid license key: {reason} — {hint}")


class LicenseTermsInvalid(ValueError):
    """Terms that cannot be issued (an empty customer, expiry before issue, too many seats...)."""


@dataclass(frozen=True, slots=True)
class LicenseTerms:
    """What a license grants: the signed payload, before or after signing."""

    customer: str
    tier: Tier
    issued: datetime
    expires: datetime
    """The first instant the license no longer holds (exclusive)."""
    seats: int | None = None
    """Users allowed; None means as many as the tier allows."""
    license_id: str = field(default_factory=lambda: secrets.token_hex(LICENSE_ID_BYTES))
    """Sixteen lower-case hex digits chosen at issue, so two licenses never share content."""

    def __post_init__(self) -> None:
        _check_customer(self.customer)
        for name in ("issued", "expires"):
            moment = getattr(self, name)
            if moment.tzinfo is None or moment.utcoffset() is None:
                raise LicenseTermsInvalid(f"{name} must carry a time zone (use UTC)")
            if moment.microsecond or not 0 <= moment.timestamp() <= _MAX_U32:
                raise LicenseTermsInvalid(f"{name} must be whole seconds between 1970 and 2106")
        if self.expires <= self.issued:
            raise LicenseTermsInvalid("expires must be later than issued")
        if self.seats is not None and not 1 <= self.seats <= _MAX_U32:
            raise LicenseTermsInvalid("seats must be a positive number")
        if (
            len(self.license_id) != 2 * LICENSE_ID_BYTES
            or self.license_id != self.license_id.lower()
        ):
            raise LicenseTermsInvalid("license_id must be sixteen lower-case hex digits")
        try:
            bytes.fromhex(self.license_id)
        except ValueError:
            raise LicenseTermsInvalid("license_id must be sixteen lower-case hex digits") from None

    def to_bytes(self) -> bytes:
        """The signed payload (docs/licensing.md, "Payload")."""
        customer = self.customer.encode("utf-8")
        header = _HEADER.pack(
            FORMAT_VERSION,
            _TIER_CODES[self.tier],
            bytes.fromhex(self.license_id),
            self.seats or 0,
            int(self.issued.timestamp()),
            int(self.expires.timestamp()),
            len(customer),
        )
        return header + customer


@dataclass(frozen=True, slots=True)
class License:
    """A verified license. Two licenses are the same exactly when their fingerprints are."""

    terms: LicenseTerms
    key: str
    """The canonical key string."""
    fingerprint: str
    """SHA-256 of the signed payload, hex: the license's identity."""

    @property
    def tier(self) -> Tier:
        """The tier the license grants while it holds."""
        return self.terms.tier


def encode_groups(data: bytes) -> str:
    """`data` as base32 in dash-separated groups of five, zero bits filling the last group."""
    chars = _chars_for(len(data))
    value = int.from_bytes(data, "big") << (chars * 5 - len(data) * 8)
    bits = format(value, f"0{chars * 5}b")
    text = "".join(ALPHABET[int(bits[i : i + 5], 2)] for i in range(0, len(bits), 5))
    return "-".join(text[i : i + GROUP] for i in range(0, chars, GROUP))


def _chars_for(size: int) -> int:
    """How many base32 characters carry `size` bytes: whole groups, zero bits filling the last."""
    bits_needed = size * 8
    group_bits = GROUP * 5
    return -(-bits_needed // group_bits) * GROUP


def sign_license(terms: LicenseTerms, private_key: Ed25519PrivateKey) -> str:
    """Issue: sign `terms` with `private_key` and return the canonical key string."""
    payload = terms.to_bytes()
    return key_string(terms.tier, payload + private_key.sign(SIGNING_CONTEXT + payload))


def vendor_keys() -> tuple[Ed25519PublicKey, ...]:
    """The trusted keys: the vendor public key shipped in this package, and nothing else."""
    pem = resources.files("omnix.shared").joinpath(VENDOR_KEY_RESOURCE).read_bytes()
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):  # a packaging error, not a user error
        raise RuntimeError(f"{VENDOR_KEY_RESOURCE} is not an Ed25519 public key")
    return (key,)


class LicenseVerifier:
    """Verifies key strings offline. Without `trusted_keys` it trusts the vendor key only."""

    def __init__(self, trusted_keys: Sequence[Ed25519PublicKey] | None = None) -> None:
        self._trusted = tuple(trusted_keys) if trusted_keys is not None else vendor_keys()

    def verify(self, text: str) -> License:
        """The license `text` carries; `InvalidLicenseKey` saying what is wrong otherwise."""
        key = text.strip(SURROUNDING_WHITESPACE)
        lettered, data = _decode_key(key)
        payload, signature = data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
        if not any(_signature_holds(k, payload, signature) for k in self._trusted):
            raise InvalidLicenseKey(
                "it is not signed by Omnix (the signature does not match the contents: "
                "the key was altered, damaged, or issued by someone else)",
                "copy the key again exactly as Omnix issued it; only keys issued by Omnix are "
                "accepted, so a key from anyone else needs replacing with one from Omnix",
            )
        terms = _parse_payload(payload)
        if terms.tier is not lettered:
            raise InvalidLicenseKey(
                f"the tier letter {lettered.letter} does not match the {terms.tier.title} tier it was "
                f"signed for (the key should start {KEY_PREFIX}{terms.tier.letter}-)"
            )
        canonical = key_string(terms.tier, payload + signature)
        if canonical != key:  # a second spelling of the same bytes; one string per license
            raise InvalidLicenseKey("it is not written in its one canonical form")
        return License(terms, canonical, hashlib.sha256(payload).hexdigest())


def key_string(tier: Tier, data: bytes) -> str:
    """The key string for already-signed `data` (payload + signature)."""
    return f"{KEY_PREFIX}{tier.letter}-{encode_groups(data)}"


def _signature_holds(key: Ed25519PublicKey, payload: bytes, signature: bytes) -> bool:
    try:
        key.verify(signature, SIGNING_CONTEXT + payload)
    except InvalidSignature:
        return False
    return True


def _decode_key(key: str) -> tuple[Tier, bytes]:
    """Split and decode a key string into the tier its letter names and payload + signature."""
    if not key:
        raise InvalidLicenseKey("it is empty")
    if _WHITESPACE.search(key):
        raise InvalidLicenseKey("it contains spaces or line breaks inside it")
    if key.upper() != key:
        raise InvalidLicenseKey("it contains lower-case letters; keys are upper case throughout")
    if not key.startswith(KEY_PREFIX):
        raise InvalidLicenseKey(f"it does not start with {KEY_PREFIX}")
    letter, _, body = key[len(KEY_PREFIX) :].partition("-")
    try:
        tier = Tier.from_letter(letter)
    except ValueError:
        raise InvalidLicenseKey(
            f"{letter!r} after {KEY_PREFIX} is not a tier letter (F, T, B or E followed by -)"
        ) from None
    groups = body.split("-")
    for number, group in enumerate(groups, start=1):
        bad = [c for c in group if c not in ALPHABET] if _NOT_BASE32.search(group) else []
        if bad:
            raise InvalidLicenseKey(f"group {number} contains {bad[0]!r}, which keys never contain")
        if len(group) != GROUP:
            raise InvalidLicenseKey(
                f"group {number} has {len(group)} characters instead of {GROUP}"
            )
    return tier, _groups_to_bytes("".join(groups))


def _groups_to_bytes(chars: str) -> bytes:
    value = int(chars.translate(_TO_BITS), 2)
    total_bits = len(chars) * 5
    header_bits = _HEADER.size * 8
    if total_bits < header_bits:
        raise InvalidLicenseKey("it is too short to be a license key (incomplete copy?)")
    customer_len = (value >> (total_bits - header_bits)) & 0xFF
    size = _HEADER.size + customer_len + SIGNATURE_BYTES
    expected_chars = _chars_for(size)
    if len(chars) != expected_chars:
        shorter = "shorter" if len(chars) < expected_chars else "longer"
        raise InvalidLicenseKey(
            f"it is {abs(expected_chars - len(chars))} characters {shorter} than its contents "
            "say (incomplete copy, or extra text pasted with it?)"
        )
    padding = total_bits - size * 8
    if value & ((1 << padding) - 1):
        raise InvalidLicenseKey("its last group does not end the way a key ends (damaged?)")
    return (value >> padding).to_bytes(size, "big")


def _parse_payload(payload: bytes) -> LicenseTerms:
    """Signed bytes into terms, rejecting anything the issuer would never have produced."""
    version, tier_code, license_id, seats, issued, expires, _ = _HEADER.unpack_from(payload)
    if version != FORMAT_VERSION:
        raise InvalidLicenseKey(
            f"it uses key format {version}, which this agent does not know",
            "upgrade omnix, or ask Omnix for a key in format 1",
        )
    tiers = {code: tier for tier, code in _TIER_CODES.items()}
    if tier_code not in tiers:
        raise InvalidLicenseKey(f"it names tier number {tier_code}, which does not exist")
    try:
        customer = payload[_HEADER.size :].decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidLicenseKey("its customer name is not UTF-8 text") from None
    try:
        return LicenseTerms(
            customer=customer,
            tier=tiers[tier_code],
            issued=datetime.fromtimestamp(issued, UTC),
            expires=datetime.fromtimestamp(expires, UTC),
            seats=seats or None,
            license_id=license_id.hex(),
        )
    except LicenseTermsInvalid as exc:
        raise InvalidLicenseKey(f"its contents are inconsistent: {exc}") from None


def _check_customer(customer: str) -> None:
    encoded = customer.encode("utf-8")
    if not customer or customer != customer.strip():
        raise LicenseTermsInvalid("customer must be a non-empty name without surrounding spaces")
    if len(encoded) > MAX_CUSTOMER_BYTES:
        raise LicenseTermsInvalid(
            f"customer is {len(encoded)} bytes of UTF-8; at most {MAX_CUSTOMER_BYTES}"
        )
    if unicodedata.normalize("NFC", customer) != customer:
        raise LicenseTermsInvalid("customer must be in Unicode NFC form")
    if any(unicodedata.category(c).startswith("C") for c in customer):
        raise LicenseTermsInvalid("customer must not contain control or unassigned characters")
