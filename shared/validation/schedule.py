"""The `schedule:` block: exactly one of cron or every, a known timezone, catchup and
max_active_runs."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from omnix.shared.duration import DurationError, parse_duration
from omnix.shared.pipeline import (
    Schedule,
)
from omnix.shared.validation.located import Collector, check_keys, line_of_key
from ruamel.yaml.comments import CommentedMap

SCHEDULE_KEYS = ("cron", "every", "timezone", "catchup", "max_active_runs")


def parse_schedule(document: CommentedMap, out: Collector) -> Schedule | None:
    if "schedule" not in document or document["schedule"] is None:
        return None
    raw = document["schedule"]
    line = line_of_key(document, "schedule", 1)
    if not isinstance(raw, CommentedMap):
        out.add(line, "`schedule` must be a mapping with `cron:` or `every:`")
        return None
    check_keys(raw, SCHEDULE_KEYS, "schedule", out, None)

    def at(key: str) -> int:
        return line_of_key(raw, key, line)

    cron = raw.get("cron")
    every = raw.get("every")
    every_s: float | None = None
    if (cron is None) == (every is None):
        out.add(line, "a schedule needs exactly one of `cron:` and `every:`")
    if cron is not None:
        error = cron_error(cron)
        if error:
            out.add(at("cron"), error)
    if every is not None:
        try:
            every_s = parse_duration(every)
        except DurationError as exc:
            out.add(at("every"), f"bad `every`: {exc}")
    timezone = raw.get("timezone", "UTC")
    if not _valid_timezone(timezone):
        out.add(
            at("timezone"),
            f"unknown timezone {timezone!r}: use an IANA name such as Europe/Berlin or UTC",
        )
    catchup = raw.get("catchup", "last")
    if catchup not in ("all", "last", "none"):
        out.add(at("catchup"), f"bad `catchup` {catchup!r}: use all, last or none")
    max_active = raw.get("max_active_runs", 1)
    if isinstance(max_active, bool) or not isinstance(max_active, int) or max_active < 1:
        out.add(at("max_active_runs"), "`max_active_runs` must be a whole number >= 1")
        max_active = 1
    return Schedule(
        cron=str(cron) if cron is not None else None,
        every_s=every_s,
        timezone=str(timezone),
        catchup=catchup if catchup in ("all", "last", "none") else "last",
        max_active_runs=int(max_active),
    )


def cron_error(expression: object) -> str | None:
    """Why `expression` is not a standard 5-field cron expression, or None when it is."""
    from omnix.shared.cron import CronError, CronExpression

    if not isinstance(expression, str):
        return f'`cron` must be a string such as "0 6 * * 1-5", found {expression!r}'
    try:
        CronExpression(expression)
    except CronError as exc:
        return str(exc)
    return None


def _valid_timezone(name: object) -> bool:
    if not isinstance(name, str) or not name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True
