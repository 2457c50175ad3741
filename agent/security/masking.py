"""Masking secret values as `***` in logs, errors and outputs.

A secret is masked in every form a node is likely to print it in: as it is, in base64
(standard and URL-safe, at each of the three alignments inside a longer text), URL-encoded,
JSON-escaped and as Python's repr escapes it. Derived forms shorter than `MIN_DERIVED`
characters are not masked (they would match ordinary text); the value itself always is.

`StreamMask` masks a stream of chunks: a value split across two chunks is held back until
the chunk that completes it (or the stream's end) arrives, so it never leaks in pieces.
This module has no dependencies beyond the standard library: worker processes import it.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Iterable

MASK = "***"
MIN_DERIVED = 6


def forms(value: str) -> set[str]:
    """Every text `value` is masked as."""
    if not value:
        return set()
    raw = value.encode()
    found = {value}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            text = encode(b"\0" * offset + raw).decode().rstrip("=")
            start = -(-offset * 4 // 3)  # the first character made of the value's bits only
            end = (len(raw) + offset) * 8 // 6  # the last character wholly inside the value
            found.add(text[start:end])
    found.add(urllib.parse.quote(value, safe=""))
    found.add(urllib.parse.quote(value))
    found.add(urllib.parse.quote_plus(value))
    found.add(json.dumps(value)[1:-1])
    found.add(json.dumps(value, ensure_ascii=False)[1:-1])
    found.add(repr(value)[1:-1])
    return {form for form in found if form == value or len(form) >= MIN_DERIVED}


class Masker:
    """Masks a set of secret values in text and bytes."""

    def __init__(self, values: Iterable[str]) -> None:
        everything: set[str] = set()
        for value in values:
            everything |= forms(value)
        self.forms = sorted(everything, key=lambda form: (-len(form), form))
        self._text = re.compile("|".join(map(re.escape, self.forms))) if self.forms else None
        self._bytes = (
            re.compile(b"|".join(re.escape(form.encode()) for form in self.forms))
            if self.forms
            else None
        )
        self.longest = len(self.forms[0]) if self.forms else 0
        self._prefixes = {form[:size] for form in self.forms for size in range(1, len(form))}

    def __bool__(self) -> bool:
        return self._text is not None

    def mask(self, text: str) -> str:
        """`text` with every form of every secret replaced by `***`."""
        return text if self._text is None else self._text.sub(MASK, text)

    def mask_bytes(self, data: bytes) -> bytes:
        """`mask` for UTF-8 bytes."""
        return data if self._bytes is None else self._bytes.sub(MASK.encode(), data)

    def stream(self) -> StreamMask:
        """A masker for one stream of chunks."""
        return StreamMask(self)

    def split_tail(self, text: str) -> tuple[str, str]:
        """`text` masked, minus a tail that could be the start of a form (held back)."""
        if self._text is None:
            return text, ""
        last_end = 0
        for match in self._text.finditer(text):
            last_end = match.end()
        keep = 0
        for size in range(min(self.longest - 1, len(text) - last_end), 0, -1):
            if text[-size:] in self._prefixes:
                keep = size
                break
        if keep:
            return self._text.sub(MASK, text[:-keep]), text[-keep:]
        return self._text.sub(MASK, text), ""


class StreamMask:
    """Masks chunks of one stream, holding back a possible start of a secret."""

    def __init__(self, masker: Masker) -> None:
        self._masker = masker
        self._pending = ""

    def feed(self, chunk: str) -> str:
        """What of `chunk` (and the held-back text before it) can be let out, masked."""
        out, self._pending = self._masker.split_tail(self._pending + chunk)
        return out

    def flush(self) -> str:
        """The held-back text, masked: at the stream's end."""
        out, self._pending = self._masker.mask(self._pending), ""
        return out
