"""Where a problem is: the problems found so far in one file, and the line of a YAML key,
item or mapping (ruamel round-trip data keeps them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from omnix.shared.pipeline import (
    Problem,
)
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError


@dataclass
class Collector:
    """Problems found so far, located in one file."""

    file: str
    problems: list[Problem] = field(default_factory=list)

    def add(self, line: int, message: str, node: str | None = None) -> None:
        self.problems.append(Problem(self.file, line, message, node))


def line_of_key(mapping: Any, key: str, default: int) -> int:
    """1-based line of `key` in a ruamel mapping."""
    try:
        return int(mapping.lc.key(key)[0]) + 1
    except (KeyError, AttributeError, TypeError):
        return default


def line_of(value: Any, default: int) -> int:
    """1-based line where a ruamel mapping or sequence starts."""
    lc = getattr(value, "lc", None)
    if lc is None or lc.line is None:
        return default
    return int(lc.line) + 1


def item_line(seq: CommentedSeq, index: int, default: int) -> int:
    try:
        return int(seq.lc.item(index)[0]) + 1
    except (KeyError, AttributeError, TypeError, IndexError):
        return default


def check_keys(
    mapping: CommentedMap, allowed: tuple[str, ...], where: str, out: Collector, node: str | None
) -> None:
    for key in mapping:
        if key not in allowed:
            line = line_of_key(mapping, key, line_of(mapping, 1))
            hint = closest(str(key), allowed)
            suggestion = f"; did you mean '{hint}'?" if hint else ""
            out.add(
                line,
                f"unknown key '{key}' in {where}{suggestion} (allowed: {', '.join(allowed)})",
                node,
            )


def closest(word: str, candidates: tuple[str, ...]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def yaml_error(exc: YAMLError) -> tuple[int, str]:
    """The line (from 1) and a one-line message for a YAML error: the problem, and what
    the parser was in the middle of when that began on another line."""
    if not isinstance(exc, MarkedYAMLError):
        return 1, f"YAML error: {exc}"
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 1
    message = f"YAML syntax error: {exc.problem or exc.context}"
    if exc.problem and exc.context:
        started = exc.context_mark.line + 1 if exc.context_mark is not None else line
        where = f" that starts on line {started}" if started != line else ""
        message += f" ({exc.context}{where})"
    return line, message


def parse_yaml(text: str, out: Collector) -> Any:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text)
    except YAMLError as exc:
        out.add(*yaml_error(exc))
    return None


def plain_value(value: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
