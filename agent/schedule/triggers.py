"""When a schedule fires: cron and `every:` fire-time sources, and their APScheduler trigger.

A `FireTimeSource` enumerates a schedule's fire times forwards and backwards from any
instant; `PipelineScheduler` uses one to wake up (through `SourceTrigger`, an APScheduler
trigger) and to list the fire times missed while it was not running. APScheduler's own
CronTrigger is not used: it reads day-of-week 0 as Monday and ANDs day-of-month with
day-of-week, both contrary to cron.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import count, islice
from typing import Protocol

from apscheduler.triggers.base import BaseTrigger
from omnix.shared.cron import CronError, CronExpression, FireTime, zone
from omnix.shared.pipeline import Schedule

CATCHUP_POLICIES = ("all", "last", "none")


class ScheduleError(ValueError):
    """A schedule that cannot be used, with what to change."""


class FireTimeSource(Protocol):
    """A schedule's fire times, enumerable from any aware instant."""

    def fire_times_after(self, instant: datetime) -> Iterator[FireTime]:
        """Fire times strictly after `instant`, earliest first."""
        ...

    def fire_times_before(self, instant: datetime) -> Iterator[FireTime]:
        """Fire times at or before `instant`, latest first."""
        ...


class Interval:
    """`every:` — fire times at `anchor + k * period` for every integer k.

    The anchor is a fire time that already happened (the last one, or the moment the
    schedule was set), so the cadence survives restarts instead of drifting to whenever
    the agent started.
    """

    def __init__(self, every_s: float, anchor: datetime, timezone: str = "UTC") -> None:
        if not every_s > 0:
            raise ScheduleError(f"every: must be a positive duration, got {every_s} seconds")
        if anchor.utcoffset() is None:
            raise ValueError("the anchor of an interval must be timezone-aware")
        self.period = timedelta(seconds=every_s)
        if self.period <= timedelta(0):
            raise ScheduleError(f"every: {every_s} seconds is shorter than a microsecond")
        self.anchor = anchor
        self.tz = zone(timezone)

    def __repr__(self) -> str:
        return f"Interval(every={self.period}, anchor={self.anchor.isoformat()})"

    def fire_times_after(self, instant: datetime) -> Iterator[FireTime]:
        """Fire times strictly after `instant`, earliest first."""
        k = (instant - self.anchor) // self.period + 1
        return (self._at(k + i) for i in count())

    def fire_times_before(self, instant: datetime) -> Iterator[FireTime]:
        """Fire times at or before `instant`, latest first."""
        k = (instant - self.anchor) // self.period
        return (self._at(k - i) for i in count())

    def _at(self, k: int) -> FireTime:
        return FireTime((self.anchor + k * self.period).astimezone(self.tz))


def fire_time_source(schedule: Schedule, *, anchor: datetime) -> FireTimeSource:
    """The fire-time source for `schedule`; `anchor` places an `every:` cadence.

    Raises ScheduleError naming what is wrong with the schedule.
    """
    if schedule.catchup not in CATCHUP_POLICIES:
        raise ScheduleError(
            f"catchup: {schedule.catchup!r} is not one of {', '.join(CATCHUP_POLICIES)}"
        )
    if schedule.max_active_runs < 1:
        raise ScheduleError(
            f"max_active_runs: {schedule.max_active_runs} would never run; use 1 or more"
        )
    if (schedule.cron is None) == (schedule.every_s is None):
        raise ScheduleError("a schedule needs exactly one of cron: and every:")
    try:
        if schedule.cron is not None:
            return CronExpression(schedule.cron, schedule.timezone)
        assert schedule.every_s is not None
        return Interval(schedule.every_s, anchor, schedule.timezone)
    except CronError as exc:
        raise ScheduleError(str(exc)) from None


def preview(source: FireTimeSource, after: datetime, n: int) -> list[FireTime]:
    """The next `n` fire times of `source` after `after`."""
    return list(islice(source.fire_times_after(after), n))


class SourceTrigger(BaseTrigger):  # type: ignore[misc]  # APScheduler ships no type hints
    """APScheduler trigger over a FireTimeSource.

    `floor` says up to which instant fire times are already taken care of; it is where
    the trigger starts when APScheduler asks without a previous fire time (on adding
    or resuming a job).
    """

    def __init__(self, source: FireTimeSource, floor: Callable[[], datetime]) -> None:
        self.source = source
        self._floor = floor

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        """The first fire time after the previous one (or after the floor) and after `now`.

        Never a time at or before `now`: APScheduler would otherwise walk every fire time
        missed during a stall, one call each. Those are not lost: the scheduler lists
        them itself from the floor when it wakes up.
        """
        if previous_fire_time is None:
            return next(self.source.fire_times_after(self._floor())).at
        return next(self.source.fire_times_after(max(previous_fire_time, now))).at

    def __str__(self) -> str:
        return f"source[{self.source!r}]"


def utc_now() -> datetime:
    """The current time, aware, in UTC: the default clock."""
    return datetime.now(UTC)
