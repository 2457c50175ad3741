"""Ten thousand and more mutated keys: not one is accepted.

Each mutation starts from a genuine key (signed with the throwaway key the verifier trusts),
so the only reason to refuse it is the mutation itself.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from omnix.shared.licensing import (
    ALPHABET,
    SIGNING_CONTEXT,
    InvalidLicenseKey,
    LicenseTerms,
    LicenseVerifier,
    key_string,
    sign_license,
)
from omnix.shared.tiers import Tier

from .conftest import EXPIRES, ISSUED

SEED = 20261125
HEADER = 23
SIGNATURE = 64
GROUP_ORDER = 2**252 + 27742317777372353535851937790883648493  # Ed25519's L

Mutator = Callable[[random.Random, str, bytes, Tier], Iterator[str]]


def _decode(key: str) -> bytes:
    chars = "".join(key.split("-")[2:])
    bits = "".join(f"{ALPHABET.index(c):05b}" for c in chars)
    size = HEADER + int(bits[(HEADER - 1) * 8 : HEADER * 8], 2) + SIGNATURE
    return int(bits[: size * 8], 2).to_bytes(size, "big")


def bit_flips(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    for _ in range(150):
        flipped = bytearray(data)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            bit = rng.randrange(len(data) * 8)
            flipped[bit // 8] ^= 1 << (bit % 8)
        yield key_string(tier, bytes(flipped))


def tier_letters(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    for other in Tier:
        if other is not tier:
            yield f"OMNIX-{other.letter}{key[7:]}"
    for letter in "ACDGXZ27ft":
        yield f"OMNIX-{letter}{key[7:]}"


def changed_fields(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    """Payload fields changed and re-encoded, keeping the original signature."""
    payload, signature = bytearray(data[:-SIGNATURE]), data[-SIGNATURE:]
    for _ in range(60):
        changed = bytearray(payload)
        field = rng.choice(("tier", "id", "seats", "issued", "expires", "customer"))
        if field == "tier":
            changed[1] = rng.choice([c for c in range(4) if c != changed[1]])
            new_tier = list(Tier)[changed[1]]
        else:
            new_tier = tier
            offset, width = {
                "id": (2, 8),
                "seats": (10, 4),
                "issued": (14, 4),
                "expires": (18, 4),
                "customer": (HEADER, len(payload) - HEADER),
            }[field]
            position = offset + rng.randrange(width)
            changed[position] = (changed[position] + rng.randrange(1, 256)) % 256
        yield key_string(new_tier, bytes(changed) + signature)
    # The customer grown by one character, its length byte kept honest.
    longer = payload[:HEADER] + payload[HEADER:] + b"x"
    longer[HEADER - 1] += 1
    yield key_string(tier, bytes(longer) + signature)


def truncations(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    for _ in range(50):
        yield key[: rng.randrange(len(key))]
    for _ in range(10):
        yield key[rng.randrange(1, len(key)) :]


def extra_characters(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    extras = ALPHABET + "-=0189 ._+/OMNIX"
    for _ in range(50):
        at = rng.randrange(len(key) + 1)
        yield key[:at] + rng.choice(extras) + key[at:]
    for suffix in ("-AAAAA", "A", "=", "==", "-", "-=====", "\x00", "X"):
        yield key + suffix
    for prefix in ("-", "OMNIX-", "A", "omnix:"):
        yield prefix + key


def substitutions(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    for _ in range(70):
        at = rng.randrange(8, len(key))
        if key[at] == "-":
            continue
        replacement = rng.choice([c for c in ALPHABET if c != key[at]])
        yield key[:at] + replacement + key[at + 1 :]


def case_variants(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    yield key.lower()
    yield key.swapcase()
    yield key[:6] + key[6:].lower()
    letters = [i for i, c in enumerate(key) if c.isalpha()]
    for _ in range(40):
        chosen = set(rng.sample(letters, rng.randrange(1, 4)))
        yield "".join(c.lower() if i in chosen else c for i, c in enumerate(key))


def dash_and_padding_variants(
    rng: random.Random, key: str, data: bytes, tier: Tier
) -> Iterator[str]:
    yield key.replace("-", "")
    yield key[:8] + key[8:].replace("-", "")
    yield key.replace("-", "_")
    yield key.replace("-", " ")
    dashes = [i for i, c in enumerate(key) if c == "-"]
    for _ in range(20):
        at = rng.choice(dashes)
        yield key[:at] + key[at + 1 :]  # one dash missing
        yield key[:at] + "--" + key[at + 1 :]  # one dash doubled
    body = "".join(key.split("-")[2:])
    for _ in range(10):  # the same characters grouped differently
        cut = sorted(rng.sample(range(1, len(body)), rng.randrange(5, 40)))
        parts = [body[a:b] for a, b in zip([0, *cut], [*cut, len(body)], strict=True)]
        yield f"OMNIX-{tier.letter}-" + "-".join(parts)
    padded = body + "=" * (-len(body) % 8)
    yield f"OMNIX-{tier.letter}-{padded}"
    yield key + "=" * 3
    # Non-zero padding bits in the last character, where the length leaves any.
    padding_bits = len(body) * 5 - len(data) * 8
    last = ALPHABET.index(key[-1])
    for bit in range(min(padding_bits, 5)):
        yield key[:-1] + ALPHABET[last ^ (1 << bit)]
    # Trailing zero groups: a valid base32 tail that carries nothing.
    yield key + "-AAAAA"
    yield key + "-AAAAA-AAAAA"


def resigned(rng: random.Random, key: str, data: bytes, tier: Tier) -> Iterator[str]:
    payload = data[:-SIGNATURE]
    for _ in range(8):
        other = Ed25519PrivateKey.generate()
        yield key_string(tier, payload + other.sign(SIGNING_CONTEXT + payload))
    stranger = Ed25519PrivateKey.generate()
    yield sign_license(LicenseTerms("Acme", tier, ISSUED, EXPIRES), stranger)
    # The same signature's S plus the group order: valid arithmetic, a second spelling.
    r, s = data[-SIGNATURE:-32], int.from_bytes(data[-32:], "little")
    yield key_string(tier, payload + r + (s + GROUP_ORDER).to_bytes(32, "little"))


MUTATORS: tuple[Mutator, ...] = (
    bit_flips,
    tier_letters,
    changed_fields,
    truncations,
    extra_characters,
    substitutions,
    case_variants,
    dash_and_padding_variants,
    resigned,
)


def _genuine_keys(rng: random.Random, signing_key: Ed25519PrivateKey) -> list[tuple[str, Tier]]:
    """Keys of every tier with customer names of many lengths, so padding varies."""
    keys = []
    for index in range(24):
        tier = list(Tier)[index % 4]
        customer = "".join(rng.choice("Acme Corp éü") for _ in range(1 + index * 2)).strip() or "A"
        expires = EXPIRES + timedelta(days=rng.randrange(1000))
        terms = LicenseTerms(customer, tier, ISSUED, expires, seats=rng.choice((None, 1, 3)))
        keys.append((sign_license(terms, signing_key), tier))
    return keys


def test_no_mutated_key_is_accepted(
    signing_key: Ed25519PrivateKey, verifier: LicenseVerifier
) -> None:
    rng = random.Random(SEED)
    started = time.process_time()
    tried: Counter[str] = Counter()
    accepted: list[str] = []
    for key, tier in _genuine_keys(rng, signing_key):
        assert verifier.verify(key).key == key
        data = _decode(key)
        for mutator in MUTATORS:
            for mutant in mutator(rng, key, data, tier):
                if mutant.strip(" \t\r\n") == key:
                    continue  # not a mutation after all (surrounding whitespace is allowed)
                tried[mutator.__name__] += 1
                try:
                    verifier.verify(mutant)
                except InvalidLicenseKey:
                    continue
                accepted.append(mutant)
    elapsed = time.process_time() - started
    assert accepted == []
    assert sum(tried.values()) >= 10_000, tried
    assert all(tried[m.__name__] >= 100 for m in MUTATORS), tried
    assert elapsed < 10, f"{sum(tried.values())} mutants took {elapsed:.1f} s of CPU"


def test_the_vendor_verifier_refuses_every_throwaway_key(
    signing_key: Ed25519PrivateKey,
) -> None:
    vendor = LicenseVerifier()
    rng = random.Random(SEED)
    refused = 0
    for key, _ in _genuine_keys(rng, signing_key):
        try:
            vendor.verify(key)
        except InvalidLicenseKey as exc:
            refused += "not signed by Omnix" in exc.reason
    assert refused == 24


def test_every_accepted_string_is_its_own_canonical_key(
    signing_key: Ed25519PrivateKey, verifier: LicenseVerifier
) -> None:
    rng = random.Random(SEED + 1)
    for key, _ in _genuine_keys(rng, signing_key):
        for spelling in (key, f" {key}", f"{key}\n", f"\t{key}\r\n"):
            assert verifier.verify(spelling).key == key
