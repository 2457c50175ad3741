"""Fire-time sources for `every:` and the APScheduler trigger over them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest
from omnix.agent.schedule.triggers import Interval, ScheduleError, SourceTrigger, fire_time_source
from omnix.shared.cron import CronExpression
from omnix.shared.pipeline import Schedule

ANCHOR = datetime(2030, 1, 7, 10, 2, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


class TestInterval:
    """`every:` fire times keep the phase of their anchor."""

    def test_fire_times_after_keep_the_anchor_phase(self) -> None:
        interval = Interval(300, ANCHOR)
        after = ANCHOR + timedelta(minutes=3)  # 10:05
        fires = [f.at for f in islice(interval.fire_times_after(after), 2)]
        assert fires == [ANCHOR + FIVE_MINUTES, ANCHOR + 2 * FIVE_MINUTES]  # 10:07, 10:12

    def test_fire_times_before_include_an_exact_fire_time(self) -> None:
        interval = Interval(300, ANCHOR)
        fires = [f.at for f in islice(interval.fire_times_before(ANCHOR + FIVE_MINUTES), 2)]
        assert fires == [ANCHOR + FIVE_MINUTES, ANCHOR]

    def test_fire_times_are_shown_in_the_schedule_timezone(self) -> None:
        fire = next(Interval(60, ANCHOR, "Asia/Tokyo").fire_times_after(ANCHOR))
        assert fire.at.isoformat() == "2030-01-07T19:03:00+09:00"

    def test_sub_second_periods_are_exact(self) -> None:
        fires = [f.at for f in islice(Interval(0.25, ANCHOR).fire_times_after(ANCHOR), 4)]
        assert fires[-1] - ANCHOR == timedelta(seconds=1)


class TestSourceTrigger:
    """What APScheduler asks of a trigger."""

    def test_first_fire_time_comes_after_the_floor(self) -> None:
        floor = ANCHOR + timedelta(minutes=1)
        trigger = SourceTrigger(Interval(300, ANCHOR), lambda: floor)
        assert trigger.get_next_fire_time(None, floor) == ANCHOR + FIVE_MINUTES

    def test_next_fire_time_is_never_in_the_past(self) -> None:
        trigger = SourceTrigger(CronExpression("* * * * *"), lambda: ANCHOR)
        now = ANCHOR + timedelta(hours=3, seconds=10)
        # A stall of three hours: the next alarm is the next minute, not the 180 missed
        # ones (the scheduler lists those itself).
        assert trigger.get_next_fire_time(ANCHOR, now) == ANCHOR + timedelta(hours=3, minutes=1)


def test_fire_time_source_picks_cron_or_interval() -> None:
    assert isinstance(fire_time_source(Schedule(cron="@daily"), anchor=ANCHOR), CronExpression)
    assert isinstance(fire_time_source(Schedule(every_s=5), anchor=ANCHOR), Interval)


def test_unknown_catchup_policy_is_refused() -> None:
    with pytest.raises(ScheduleError, match="catchup: 'sometimes' is not one of all, last, none"):
        fire_time_source(Schedule(cron="@daily", catchup="sometimes"), anchor=ANCHOR)  # type: ignore[arg-type]
