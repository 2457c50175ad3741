"""The byte protocol between the JavaScript adapter and its Node.js worker.

A frame is a little-endian u32 header length, a JSON header ``{"type": ..., "blobs": [n, ...]}``
and then the blobs (Arrow IPC or JSON bytes) back to back. JSON values bound for JavaScript are
rewritten so JavaScript's `JSON.parse` cannot round them: integers beyond 2^53 and non-finite
floats travel as ``{"$omnix": "bigint"|"float", "v": "..."}`` (docs/types.md).
"""

from __future__ import annotations

import asyncio
import json
import math
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
TAG = "$omnix"


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded frame: its header and its blobs."""

    header: dict[str, Any]
    blobs: list[bytes]


def encode_frame(header: Mapping[str, Any], blobs: Sequence[bytes] = ()) -> list[bytes]:
    """The pieces of one frame, ready for `writelines` (blobs are not copied)."""
    head = json.dumps({**header, "blobs": [len(b) for b in blobs]}).encode()
    # Pad with JSON whitespace so the first blob starts 8-byte aligned in the worker's
    # buffer: Arrow's typed-array views need that, and misaligned data costs a copy.
    head += b" " * (-(4 + len(head)) % 8)
    return [struct.pack("<I", len(head)), head, *blobs]


async def read_frame(stream: asyncio.StreamReader) -> Frame:
    """Read one frame; raises `asyncio.IncompleteReadError` when the worker has gone."""
    (head_length,) = struct.unpack("<I", await stream.readexactly(4))
    header = json.loads(await stream.readexactly(head_length))
    blobs = [await stream.readexactly(n) for n in header.get("blobs", [])]
    return Frame(header, blobs)


def _tag(value: Any) -> tuple[Any, bool]:
    """The value with JavaScript-unsafe numbers tagged, and whether anything changed."""
    if value is None or isinstance(value, bool | str):
        return value, False
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            return {TAG: "bigint", "v": str(value)}, True
        return value, False
    if isinstance(value, float):
        if math.isfinite(value):
            return value, False
        return {
            TAG: "float",
            "v": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity"),
        }, True
    if isinstance(value, list):
        items = [_tag(v) for v in value]
        return [v for v, _ in items], any(changed for _, changed in items)
    if isinstance(value, dict):
        pairs = {k: _tag(v) for k, v in value.items()}
        tagged = {k: v for k, (v, _) in pairs.items()}
        changed = any(c for _, c in pairs.values())
        if TAG in value:
            # A user object that has the tag key travels as its entries, never as a tag.
            return {TAG: "object", "v": [[k, v] for k, v in tagged.items()]}, True
        return tagged, changed
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def json_for_javascript(data: bytes) -> bytes:
    """JSON bytes (any Omnix JSON value) made safe for JavaScript's `JSON.parse`."""
    value, changed = _tag(json.loads(data))
    if not changed:
        return data
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode()


def params_for_javascript(params: Mapping[str, Any]) -> bytes:
    """A run's parameters as JSON for the worker (tagged like `json_for_javascript`)."""
    value, _ = _tag(dict(params))
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode()
