"""JSON values made safe for JavaScript on their way to a Node.js worker.

Frames are the common worker protocol (`omnix.agent.workers.frames`). JSON values bound for
JavaScript are rewritten so JavaScript's `JSON.parse` cannot round them: integers beyond 2^53
and non-finite floats travel as ``{"$omnix": "bigint"|"float", "v": "..."}`` (docs/types.md).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

MAX_SAFE_INTEGER = 2**53 - 1
TAG = "$omnix"


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
