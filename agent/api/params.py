"""Run parameters at the API edge: each override arrives as JSON text and is decoded here,
so the daemon only ever sees JSON values."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from omnix.agent.errors import BadRequest

MAX_PARAMS = 1000


def decode_params(params: Mapping[str, str]) -> dict[str, Any]:
    """Parameter overrides as JSON values; BadRequest names a bad one."""
    if len(params) > MAX_PARAMS:
        raise BadRequest(f"at most {MAX_PARAMS} parameters per run, got {len(params)}")
    decoded: dict[str, Any] = {}
    for key, text in params.items():
        if not key:
            raise BadRequest("a parameter has an empty name")
        try:
            decoded[key] = json.loads(text, parse_constant=_refuse_constant)
        except ValueError:
            raise BadRequest(
                f'parameter {key!r}: {text[:80]!r} is not JSON text (send 5, "north", true)'
            ) from None
    return decoded


def _refuse_constant(name: str) -> Any:
    # Python's json reads NaN and Infinity, which are not JSON and reach no other language.
    raise ValueError(f"{name} is not JSON")
