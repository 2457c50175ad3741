"""Durations as pipeline files write them: `30s`, `5m`, `1h30m`, `500ms`, `2d`."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class DurationError(ValueError):
    """Not a duration; the message shows the accepted form."""


def parse_duration(text: object) -> float:
    """Seconds in `text`; a bare number counts as seconds. Raises `DurationError`."""
    if isinstance(text, bool):
        raise DurationError(f"{text!r} is not a duration; write e.g. 30s, 5m, 1h30m")
    if isinstance(text, int | float):
        seconds = float(text)
    elif isinstance(text, str):
        compact = text.strip().replace(" ", "")
        position, seconds = 0, 0.0
        for match in _PART.finditer(compact):
            if match.start() != position:
                break
            seconds += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
            position = match.end()
        if not compact or position != len(compact):
            raise DurationError(f"{text!r} is not a duration; write e.g. 30s, 5m, 1h30m, 500ms")
    else:
        raise DurationError(f"{text!r} is not a duration; write e.g. 30s, 5m, 1h30m")
    if seconds <= 0:
        raise DurationError(f"{text!r} must be longer than zero")
    return seconds
