"""The masker alone: which forms of a secret it masks, and masking a stream of chunks."""

from __future__ import annotations

import base64
import json
import secrets
import urllib.parse

from omnix.agent.security.masking import MASK, Masker, forms

SECRET = "tk-" + secrets.token_urlsafe(18)


def test_the_value_and_its_encodings_are_masked_in_a_longer_text() -> None:
    masker = Masker([SECRET])
    raw = SECRET.encode()
    texts = [
        f"key={SECRET};",
        urllib.parse.quote(SECRET, safe=""),
        json.dumps({"k": SECRET}),
        *(base64.b64encode(b"p" * offset + raw + b"tail").decode() for offset in range(3)),
        *(base64.urlsafe_b64encode(b"pp"[:offset] + raw).decode() for offset in range(3)),
    ]
    for text in texts:
        masked = masker.mask(text)
        assert MASK in masked, text
        for form in forms(SECRET):
            assert form not in masked


def test_short_derived_forms_are_not_masked_but_the_value_is() -> None:
    masker = Masker(["ab"])
    assert masker.mask("grab a cab") == "gr*** a c***"
    assert all(len(form) >= 6 or form == "ab" for form in forms("ab"))


def test_a_value_split_across_chunks_is_held_back_until_complete() -> None:
    stream = Masker([SECRET]).stream()
    half = len(SECRET) // 2
    out = stream.feed("before " + SECRET[:half])
    out += stream.feed(SECRET[half:] + " after\n")
    out += stream.flush()
    assert out == f"before {MASK} after\n"


def test_text_without_secrets_passes_through_at_once() -> None:
    stream = Masker([SECRET]).stream()
    assert stream.feed("plain line\n") == "plain line\n"


def test_no_secrets_mask_nothing() -> None:
    masker = Masker([])
    assert not masker
    assert masker.mask(SECRET) == SECRET
