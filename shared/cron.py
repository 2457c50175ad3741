"""Cron expressions with Vixie semantics, evaluated in an IANA timezone, DST-correct.

`CronExpression("0 6 * * 1-5", "Europe/Berlin")` answers "when does this fire next"
(`next_after`), "when did it last fire" (`fire_times_before`) and "show me the next few"
(`preview`), always as timezone-aware datetimes.

It is the one cron parser: pipeline validation (`omnix validate`, deploy) and the agent's
scheduler both use it, so a file that validates is a schedule the agent can run.

Semantics (those of Vixie cron, which Debian's and most Linux crons inherit):

- Five fields: minute, hour, day of month, month, day of week. Sunday is 0 and 7.
  Month and weekday names (`jan`, `mon`) work. `@yearly`, `@annually`, `@monthly`,
  `@weekly`, `@daily`, `@midnight` and `@hourly` are aliases. Quartz/croniter
  extensions (`L`, `W`, `#`, `H`, `?`, a seconds field) are rejected.
- Day of month and day of week: when neither field starts with `*` they are ORed
  (`0 0 13 * 5` fires on every 13th and every Friday); otherwise they are ANDed. As in
  Vixie cron, a field such as `*/2` "starts with `*`", so `0 0 */2 * 1` means odd-numbered
  days that are Mondays.
- DST. A job is *fixed-time* when neither its minute nor its hour field starts with `*`
  (`30 2 * * *`); otherwise it is a *wildcard* job (`*/15 * * * *`, `@hourly`). This is
  Vixie's own distinction:
  - Spring forward (the wall clock skips, e.g. 02:00 -> 03:00): a fixed-time job whose
    time falls in the skipped interval fires once, at the first valid instant after the
    gap (03:00 local); several skipped times collapse into that single fire. A wildcard
    job follows the new clock: times that do not exist are simply not fire times.
  - Fall back (the wall clock repeats, e.g. 03:00 -> 02:00): a fixed-time job fires
    once, at the first occurrence of its wall time; a wildcard job fires in both passes,
    since it is about elapsed time, not about a moment of the day.
  Fire times affected by a transition carry `FireTime.shift` so that a UI can flag them.

Why croniter, and only for naive wall-clock time: croniter is a dependency already, its
parser and field matching are mature and it supports the Vixie day-of-month/day-of-week
OR through `day_or`. Its handling of aware datetimes across DST transitions, however, has
a long history of double and skipped fires, and cronsim would add a dependency for the
DST part alone. So croniter only enumerates matching *wall-clock* times (naive
datetimes, no DST involved) and this module maps each wall time to real instants with the
rules above, in one place, under test.

The mapping assumes no zone has two transitions within six hours of each other (true of
every zone in the tz database).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import insort
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

DstShift = Literal["spring-forward", "fall-back"]

ALIASES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    name_base: int = 0


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day of month", 1, 31),
    _Field("month", 1, 12, _MONTHS, 1),
    _Field("day of week", 0, 7, _WEEKDAYS, 0),
)
_ITEM = re.compile(
    r"^(?:(?P<star>\*)|(?P<a>[0-9a-z]+)(?:-(?P<b>[0-9a-z]+))?)(?:/(?P<step>[0-9]+))?$"
)
_BLANKS = " \t"
# The longest DST shift in the tz database is 2 hours; 3 leaves room.
_MARGIN = timedelta(hours=3)


class CronError(ValueError):
    """A cron expression or timezone that cannot be used, with what to do about it."""


@dataclass(frozen=True, slots=True)
class FireTime:
    """One moment a schedule fires, aware in the schedule's timezone.

    `shift` is set when a DST transition affected it: "spring-forward" means the wall time
    it names did not exist that day and it fires at the end of the gap instead;
    "fall-back" means its wall time occurred twice that day.
    """

    at: datetime
    shift: DstShift | None = None

    @property
    def dst_shifted(self) -> bool:
        return self.shift is not None


def zone(name: str) -> ZoneInfo:
    """The IANA timezone `name`, or a CronError saying it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CronError(
            f"unknown timezone {name!r}: use an IANA name such as 'UTC', 'Europe/Berlin' "
            "or 'America/New_York'"
        ) from None


class CronExpression:
    """A 5-field cron expression evaluated in an IANA timezone (see the module docstring)."""

    def __init__(self, expression: str, timezone: str = "UTC") -> None:
        self.expression = expression
        self.timezone = timezone
        self.tz = zone(timezone)
        text = expression.strip(_BLANKS).lower()
        if text.startswith("@"):
            if text not in ALIASES:
                known = ", ".join(ALIASES)
                raise CronError(f"bad cron {expression!r}: unknown alias {text!r} (known: {known})")
            text = ALIASES[text]
        # Only ASCII space and tab separate fields, as in crontab(5): a no-break space or
        # another Unicode space is not a separator, and is named rather than guessed at.
        odd = next((c for c in text if c.isspace() and c not in _BLANKS), None)
        if odd is not None:
            name = unicodedata.name(odd, "a control character")
            raise CronError(
                f"bad cron {expression!r}: U+{ord(odd):04X} ({name}) is not a field separator; "
                "separate the fields with ASCII spaces or tabs"
            )
        fields = [field for field in re.split(f"[{_BLANKS}]+", text) if field]
        if len(fields) != 5:
            raise CronError(
                f"bad cron {expression!r}: expected 5 fields (minute hour day-of-month month "
                f"day-of-week), found {len(fields)}"
            )
        readable = [
            _read_field(expression, spec, f) for spec, f in zip(_FIELDS, fields, strict=True)
        ]
        self.fields = tuple(fields)
        minute, hour, dom, _, dow = fields
        self.fixed_time = not minute.startswith("*") and not hour.startswith("*")
        self._day_or = not dom.startswith("*") and not dow.startswith("*")
        self._croniter_expr = " ".join(readable)
        try:
            croniter(self._croniter_expr, datetime(2000, 1, 1), day_or=self._day_or).get_next(
                datetime
            )
        except CroniterBadDateError:
            raise CronError(
                f"bad cron {expression!r}: it never fires, no calendar date matches its day-of-month, "
                "month and day-of-week fields"
            ) from None

    def __repr__(self) -> str:
        return f"CronExpression({self.expression!r}, {self.timezone!r})"

    def next_after(self, instant: datetime) -> FireTime:
        """The first fire time strictly after `instant` (an aware datetime)."""
        return next(self.fire_times_after(instant))

    def fire_times_after(self, instant: datetime) -> Iterator[FireTime]:
        """Fire times strictly after `instant`, earliest first, endless."""
        _require_aware(instant)
        local = instant.astimezone(self.tz)
        start = local.replace(tzinfo=None)
        if _transition_near(self.tz, instant):
            start -= _MARGIN
        walls = croniter(self._croniter_expr, start, day_or=self._day_or)
        return self._ordered(walls, instant, forward=True)

    def fire_times_before(self, instant: datetime) -> Iterator[FireTime]:
        """Fire times at or before `instant`, latest first, endless."""
        _require_aware(instant)
        local = instant.astimezone(self.tz)
        # croniter's get_prev is strictly before its start; a minute later includes `instant`.
        start = local.replace(tzinfo=None) + timedelta(minutes=1)
        if _transition_near(self.tz, instant):
            start += _MARGIN
        walls = croniter(self._croniter_expr, start, day_or=self._day_or)
        return self._ordered(walls, instant, forward=False)

    def preview(self, n: int, after: datetime | None = None) -> list[FireTime]:
        """The next `n` fire times after `after` (default: now), DST-affected ones flagged."""
        return list(islice(self.fire_times_after(after or datetime.now(UTC)), n))

    def _ordered(self, walls: croniter, instant: datetime, *, forward: bool) -> Iterator[FireTime]:
        """Map matching wall times to instants, in time order, without duplicates.

        Wall-time order and instant order differ only inside a fall-back overlap, so
        candidates wait in `pending` until no later wall time can produce an earlier
        (forward) or later (backward) instant: each wall time bounds all that follow it.
        """
        sign = 1 if forward else -1
        limit = instant.timestamp()
        # (sign * epoch seconds, rank, fire): the head of `pending` is the next to emit,
        # and among equal instants the unshifted fire (rank 0) wins over a gap time moved
        # onto the same instant.
        pending: list[tuple[float, int, FireTime]] = []
        last_key: float | None = None
        while True:
            wall: datetime = walls.get_next(datetime) if forward else walls.get_prev(datetime)
            bound, candidates = _resolve(self.tz, wall, self.fixed_time, forward=forward)
            bound_key = sign * bound.timestamp()
            while pending and pending[0][0] < bound_key:
                key, _, fire = pending.pop(0)
                if last_key is None or key > last_key:
                    last_key = key
                    yield fire
            for fire in candidates:
                ts = fire.at.timestamp()
                if (ts > limit) if forward else (ts <= limit):
                    insort(pending, (sign * ts, 0 if fire.shift is None else 1, fire))


def _read_field(expression: str, spec: _Field, field: str) -> str:
    """`field` as croniter should read it; CronError unless it is a valid Vixie list.

    A range whose ends are equal (`5-5`, `sun-sun`, `59-59/15`) is that one value, as in
    Vixie cron; croniter would read it as `*`, so it is passed on as the single value."""
    items = []
    for item in field.split(","):
        match = _ITEM.match(item)
        where = f"bad cron {expression!r}: {spec.name} field {field!r}"
        if match is None:
            raise CronError(
                f"{where}: cannot read {item!r}; use numbers, ranges (1-5), lists (1,3), "
                "steps (*/15, 0-30/10) or * (L, W, #, ? and H are not standard cron)"
            )
        step = match["step"]
        if step is not None and int(step) == 0:
            raise CronError(f"{where}: a step of 0 never advances; use 1 or more")
        if match["star"]:
            items.append(item)
            continue
        low = _value(where, spec, match["a"])
        if match["b"] is None:
            if step is not None:
                raise CronError(
                    f"{where}: {item!r} is not standard cron; write {match['a']}-{spec.high}/{step}"
                )
            items.append(item)
            continue
        high = _value(where, spec, match["b"])
        if high < low:
            raise CronError(
                f"{where}: range {item!r} runs backwards; write the smaller value first"
            )
        items.append(str(low) if high == low else item)
    return ",".join(items)


def _value(where: str, spec: _Field, token: str) -> int:
    if token.isdigit():
        value = int(token)
    elif token in spec.names:
        value = spec.names.index(token) + spec.name_base
    else:
        names = f" or a name ({', '.join(spec.names)})" if spec.names else ""
        hint = "; L, W, #, ? and H are not standard cron" if re.search("[lwh]", token) else ""
        raise CronError(f"{where}: {token!r} is not a number{names}{hint}")
    if not spec.low <= value <= spec.high:
        extra = " (0 and 7 are both Sunday)" if spec.name == "day of week" else ""
        raise CronError(f"{where}: {value} is out of range {spec.low}-{spec.high}{extra}")
    return value


def _require_aware(instant: datetime) -> None:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {instant.isoformat()}")


def _transition_near(tz: ZoneInfo, instant: datetime) -> bool:
    """Whether the UTC offset changes within _MARGIN either side of `instant`."""
    offsets = {(instant + delta).astimezone(tz).utcoffset() for delta in (-_MARGIN, _MARGIN)}
    offsets.add(instant.astimezone(tz).utcoffset())
    return len(offsets) > 1


def _resolve(
    tz: ZoneInfo, wall: datetime, fixed_time: bool, *, forward: bool
) -> tuple[datetime, list[FireTime]]:
    """The instants a matching naive wall time fires at, and the bound it sets.

    The bound is the earliest (forward) or latest (backward) instant this wall time or
    any later (forward) / earlier (backward) one in the walk can map to.
    """
    first = wall.replace(tzinfo=tz, fold=0)
    second = wall.replace(tzinfo=tz, fold=1)
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall:
        end = _gap_end(tz, wall)
        return end, [FireTime(end, "spring-forward")] if fixed_time else []
    if first.utcoffset() == second.utcoffset():
        return first, [FireTime(first)]
    # Fall-back overlap: fold 0 is the first pass, fold 1 the repeat.
    bound = first if forward else second
    if fixed_time:
        return bound, [FireTime(first, "fall-back")]
    return bound, [FireTime(first, "fall-back"), FireTime(second, "fall-back")]


@lru_cache(maxsize=256)
def _gap_end(tz: ZoneInfo, wall: datetime) -> datetime:
    """The transition instant that ends the DST gap containing the non-existent `wall`."""
    # fold=1 reads `wall` with the offset after the transition (the earlier instant),
    # fold=0 with the offset before it (the later one); the transition lies between.
    low = int(wall.replace(tzinfo=tz, fold=1).timestamp())
    high = int(wall.replace(tzinfo=tz, fold=0).timestamp())
    new_offset = datetime.fromtimestamp(high, tz).utcoffset()
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).utcoffset() == new_offset:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(high, tz)
