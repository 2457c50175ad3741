"""`--param KEY=VALUE` for `omnix run` and `omnix-agent run`.

The rule, in order:

1. The text up to the first ``=`` is the name, the rest is the value (which may hold
   further ``=``). A name is letters, digits and underscores, not starting with a digit.
2. When the pipeline declares a default for the name, the value is converted to the
   default's type: a string stays exactly as typed (``007`` stays ``"007"``); an integer
   must be written as one (``5``, ``-3``; ``5.0`` is an error); a float accepts any
   finite number; a bool accepts true/false, yes/no, on/off, 1/0; a list or an object is
   written as JSON (``'[1, 2]'``, ``'{"a": 1}'``). A value that does not fit is an
   error naming the parameter, the expected type and an example; nothing is guessed.
3. Otherwise (no default, or a null default) the value is read as a JSON value when it
   is one (``5`` -> 5, ``true`` -> true, ``null`` -> null, ``"5"`` -> the string "5",
   ``[1,2]`` -> a list) and kept as the string otherwise (``north`` -> "north").
   Numbers that JSON reads lossily (``1e400``, ``NaN``) stay strings.

The same name given twice is an error, so a typo in a long command line cannot silently
shadow an earlier value.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ParamError(ValueError):
    """A `--param` that cannot be used; the message says which one and how to write it."""


def parse_params(assignments: Iterable[str], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The run's parameter overrides from ``KEY=VALUE`` strings, typed by `defaults`."""
    parsed: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        name = name.strip()
        if not sep:
            raise ParamError(f"--param {assignment!r}: write it as NAME=VALUE, e.g. min_amount=5")
        if not _NAME.match(name):
            raise ParamError(
                f"--param {assignment!r}: {name!r} is not a parameter name "
                "(letters, digits and _, not starting with a digit)"
            )
        if name in parsed:
            raise ParamError(f"--param {name} is given twice; give each parameter once")
        if name not in defaults:
            raise ParamError(unknown_param(name, defaults))
        if name in defaults and defaults[name] is not None:
            parsed[name] = coerce_param(name, text, defaults[name])
        else:
            parsed[name] = parse_untyped(text)
    return parsed


def unknown_param(name: str, defaults: Mapping[str, Any]) -> str:
    """Why `name` is refused: the pipeline declares no such parameter (a typo, most often)."""
    import difflib

    known = sorted(defaults)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    declared = f" (its parameters: {', '.join(known)})" if known else " (it declares none)"
    return (
        f"the pipeline has no parameter {name!r}{hint}{declared}; "
        "declare it under `params:` to pass it"
    )


def parse_untyped(text: str) -> Any:
    """A value with no default to follow: JSON when it reads losslessly as JSON, else the text."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, float) and not math.isfinite(value):
        return text
    return value


def coerce_param(name: str, text: str, default: Any) -> Any:
    """`text` converted to the type of `default`, or `ParamError`."""
    if isinstance(default, bool):
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _mismatch(name, text, "a bool", "true or false")
    if isinstance(default, int):
        try:
            return int(text.strip(), 10)
        except ValueError:
            raise _mismatch(name, text, "an integer", str(default)) from None
    if isinstance(default, float):
        try:
            value = float(text.strip())
        except ValueError:
            raise _mismatch(name, text, "a number", repr(default)) from None
        if not math.isfinite(value):
            raise _mismatch(name, text, "a finite number", repr(default))
        return value
    if isinstance(default, str):
        return text
    if isinstance(default, list | dict):
        kind = "a JSON list" if isinstance(default, list) else "a JSON object"
        try:
            value = json.loads(text)
        except ValueError:
            raise _mismatch(name, text, kind, json.dumps(default)) from None
        if not isinstance(value, type(default)):
            raise _mismatch(name, text, kind, json.dumps(default))
        return value
    return parse_untyped(text)


def _mismatch(name: str, text: str, expected: str, example: str) -> ParamError:
    return ParamError(
        f"--param {name}={text}: {name} expects {expected}, e.g. --param {name}={example}"
    )


def check_json_params(params: Mapping[str, Any]) -> None:
    """Raise `ParamError` naming the first parameter that is not a JSON value.

    Nodes in every language receive params as JSON, so a YAML date (`day: 2026-01-01`)
    or any other non-JSON value is refused here rather than converted behind the user's
    back."""
    for name, value in params.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError):
            kind = type(value).__name__
            raise ParamError(
                f"param {name!r} is a {kind} ({value!r}), not a JSON value; quote it in the "
                f"pipeline file (e.g. {name}: '{value}') to pass it as text"
            ) from None
