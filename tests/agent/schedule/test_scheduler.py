"""PipelineScheduler with an injected clock: catch-up, max_active_runs, pause, listing.

The fake clock stands in 2030 so that the real APScheduler timer (started by `start()`)
never comes due during a test; the tests drive time by moving the clock and calling
`fire_due`, which is what the timer calls.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from omnix.agent.errors import NotScheduled
from omnix.agent.schedule.scheduler import PipelineScheduler
from omnix.agent.schedule.triggers import ScheduleError
from omnix.shared.pipeline import CatchUp, Schedule

T0 = datetime(2030, 1, 7, 3, 0, tzinfo=UTC)  # a Monday, on the hour
HOUR = timedelta(hours=1)
MINUTE = timedelta(minutes=1)


@dataclass
class FakeClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Recorder:
    """The daemon's side: what was fired and what was recorded missed."""

    fired: list[tuple[str, datetime]] = field(default_factory=list)
    missed: list[tuple[str, datetime, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def fire(self, pipeline: str, at: datetime) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        self.fired.append((pipeline, at))

    async def record_missed(self, pipeline: str, at: datetime, reason: str) -> None:
        self.missed.append((pipeline, at, reason))

    @property
    def fired_at(self) -> list[datetime]:
        return [at for _, at in self.fired]

    @property
    def missed_at(self) -> list[datetime]:
        return [at for _, at, _ in self.missed]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0 + 3 * HOUR + 30 * MINUTE)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def scheduler(clock: FakeClock, recorder: Recorder) -> AsyncIterator[PipelineScheduler]:
    scheduler = PipelineScheduler(recorder.fire, recorder.record_missed, clock)
    yield scheduler
    await scheduler.shutdown()


def hourly(catchup: CatchUp = "last", max_active_runs: int = 1) -> Schedule:
    return Schedule(cron="0 * * * *", catchup=catchup, max_active_runs=max_active_runs)


def every_minute(catchup: CatchUp = "last", max_active_runs: int = 1) -> Schedule:
    return Schedule(cron="* * * * *", catchup=catchup, max_active_runs=max_active_runs)


MISSED_WHILE_DOWN = [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]  # 04:00, 05:00, 06:00


class TestCatchUpAtStart:
    """Fire times between `last_fire` and now, while the agent was down."""

    async def test_all_fires_each_missed_time_one_after_another(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        scheduler.set_schedule("p", hourly("all"), last_fire=T0)
        await scheduler.start()
        assert recorder.fired_at == MISSED_WHILE_DOWN[:1]
        for expected in (MISSED_WHILE_DOWN[:2], MISSED_WHILE_DOWN):
            scheduler.run_finished("p")
            await scheduler.settled()
            assert recorder.fired_at == expected
        assert recorder.missed == []

    async def test_all_fires_concurrently_up_to_max_active_runs(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        scheduler.set_schedule("p", hourly("all", max_active_runs=3), last_fire=T0)
        await scheduler.start()
        assert recorder.fired_at == MISSED_WHILE_DOWN

    async def test_last_fires_the_latest_and_records_the_others_missed(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        scheduler.set_schedule("p", hourly("last"), last_fire=T0)
        await scheduler.start()
        assert recorder.fired_at == [T0 + 3 * HOUR]
        assert recorder.missed_at == MISSED_WHILE_DOWN[:2]
        assert all(
            reason == "catchup: last; missed because the agent was not running"
            for _, _, reason in recorder.missed
        )

    async def test_none_records_every_missed_time(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        scheduler.set_schedule("p", hourly("none"), last_fire=T0)
        await scheduler.start()
        assert recorder.fired == []
        assert recorder.missed_at == MISSED_WHILE_DOWN
        assert "catchup: none" in recorder.missed[0][2]

    async def test_new_pipeline_without_last_fire_does_not_catch_up(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        scheduler.set_schedule("p", hourly("all"), last_fire=None)
        await scheduler.start()
        assert recorder.fired == [] and recorder.missed == []

    async def test_pipeline_set_while_running_catches_up_in_the_background(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        await scheduler.start()
        scheduler.set_schedule("p", hourly("none"), last_fire=T0)
        await scheduler.settled()
        assert recorder.missed_at == MISSED_WHILE_DOWN

    async def test_downtime_beyond_the_limit_is_summarised_not_dropped(
        self, clock: FakeClock, recorder: Recorder
    ) -> None:
        scheduler = PipelineScheduler(
            recorder.fire, recorder.record_missed, clock, catch_up_limit=2
        )
        scheduler.set_schedule("p", hourly("none"), last_fire=T0 - 10 * HOUR)
        await scheduler.start()
        await scheduler.shutdown()
        # The latest two individually, plus one summary for the 11 older ones.
        assert recorder.missed_at == [T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]
        assert "more fire times were missed between" in recorder.missed[0][2]
        assert "catchup: none" in recorder.missed[1][2]

    async def test_interval_schedule_catches_up_on_its_own_cadence(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        anchor = clock.now - timedelta(seconds=100)
        scheduler.set_schedule("p", Schedule(every_s=30, catchup="none"), last_fire=anchor)
        await scheduler.start()
        assert recorder.missed_at == [anchor + timedelta(seconds=s) for s in (30, 60, 90)]

    async def test_on_time_fire_queues_behind_a_catch_up_in_progress(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", hourly("all"), last_fire=T0)
        await scheduler.start()
        clock.now = T0 + 4 * HOUR  # 07:00 comes while 04:00 still runs
        await scheduler.fire_due("p")
        for _ in range(3):
            scheduler.run_finished("p")
            await scheduler.settled()
        assert recorder.fired_at == [*MISSED_WHILE_DOWN, T0 + 4 * HOUR]
        assert recorder.missed == []

    async def test_catch_up_across_spring_forward_includes_the_shifted_fire(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        berlin = ZoneInfo("Europe/Berlin")
        clock.now = datetime(2030, 4, 1, 12, tzinfo=berlin)
        schedule = Schedule(cron="30 2 * * *", timezone="Europe/Berlin", catchup="none")
        scheduler.set_schedule("p", schedule, last_fire=datetime(2030, 3, 30, 2, 30, tzinfo=berlin))
        await scheduler.start()
        assert [at.isoformat() for at in recorder.missed_at] == [
            "2030-03-31T03:00:00+02:00",  # 02:30 did not exist that night
            "2030-04-01T02:30:00+02:00",
        ]

    def test_naive_last_fire_is_refused(self, scheduler: PipelineScheduler) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            scheduler.set_schedule("p", hourly(), last_fire=datetime(2030, 1, 1))


class TestMaxActiveRuns:
    """At most `max_active_runs` fired runs of a pipeline at once."""

    async def test_fire_while_a_run_is_active_is_recorded_skipped(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute(), last_fire=None)
        await scheduler.start()
        first = clock.now.replace(second=0) + MINUTE
        clock.now = first
        await scheduler.fire_due("p")
        clock.now = first + MINUTE
        await scheduler.fire_due("p")
        assert recorder.fired_at == [first]
        assert recorder.missed == [
            ("p", first + MINUTE, "skipped: 1 run(s) still active and max_active_runs is 1")
        ]

    async def test_finished_run_frees_the_slot(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute(), last_fire=None)
        await scheduler.start()
        first = clock.now.replace(second=0) + MINUTE
        clock.now = first
        await scheduler.fire_due("p")
        scheduler.run_finished("p")
        clock.now = first + MINUTE
        await scheduler.fire_due("p")
        assert recorder.fired_at == [first, first + MINUTE]
        assert recorder.missed == []

    async def test_two_slots_allow_two_overlapping_runs(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute(max_active_runs=2), last_fire=None)
        await scheduler.start()
        base = clock.now.replace(second=0)
        for step in (1, 2, 3):
            clock.now = base + step * MINUTE
            await scheduler.fire_due("p")
        assert recorder.fired_at == [base + MINUTE, base + 2 * MINUTE]
        assert recorder.missed_at == [base + 3 * MINUTE]

    async def test_fire_that_raises_is_recorded_missed_and_frees_the_slot(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute(), last_fire=None)
        await scheduler.start()
        recorder.fail_with = RuntimeError("store is read-only")
        clock.now = clock.now.replace(second=0) + MINUTE
        await scheduler.fire_due("p")
        assert recorder.missed == [("p", clock.now, "the run could not start: store is read-only")]
        assert scheduler.schedules()[0].active_runs == 0


class TestLateWakeUp:
    """The timer fires late (loop blocked, machine suspended)."""

    async def test_latest_time_fires_and_earlier_ones_follow_the_policy(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute("last"), last_fire=None)
        await scheduler.start()
        base = clock.now.replace(second=0)
        clock.now = base + 3 * MINUTE
        await scheduler.fire_due("p")
        assert recorder.fired_at == [base + 3 * MINUTE]
        assert recorder.missed_at == [base + MINUTE, base + 2 * MINUTE]
        assert "woke up late" in recorder.missed[0][2]

    async def test_calling_fire_due_twice_fires_once(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute(max_active_runs=5), last_fire=None)
        await scheduler.start()
        clock.now = clock.now.replace(second=0) + MINUTE
        await scheduler.fire_due("p")
        await scheduler.fire_due("p")
        assert len(recorder.fired) == 1


class TestPause:
    """Paused pipelines do not fire; resuming catches up."""

    async def test_paused_pipeline_does_not_fire(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute(), last_fire=None)
        await scheduler.start()
        scheduler.pause("p")
        clock.now += 2 * MINUTE
        await scheduler.fire_due("p")
        assert recorder.fired == [] and recorder.missed == []

    async def test_resume_applies_the_catchup_policy_to_times_missed_while_paused(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", every_minute("last"), last_fire=None)
        await scheduler.start()
        scheduler.pause("p")
        base = clock.now.replace(second=0)
        clock.now = base + 3 * MINUTE
        await scheduler.resume("p")
        assert recorder.fired_at == [base + 3 * MINUTE]
        assert recorder.missed_at == [base + MINUTE, base + 2 * MINUTE]
        assert "paused" in recorder.missed[0][2]

    async def test_paused_before_start_is_not_caught_up_at_start(
        self, scheduler: PipelineScheduler, recorder: Recorder
    ) -> None:
        scheduler.set_schedule("p", hourly("all"), last_fire=T0)
        scheduler.pause("p")
        await scheduler.start()
        assert recorder.fired == [] and recorder.missed == []
        assert scheduler.schedules()[0].paused


class TestQueries:
    """Listing and previewing schedules."""

    async def test_next_fire_times_are_aware_in_the_schedule_timezone(
        self, scheduler: PipelineScheduler, clock: FakeClock
    ) -> None:
        clock.now = datetime(2030, 3, 30, 12, tzinfo=UTC)  # Saturday before Berlin's DST
        scheduler.set_schedule(
            "p", Schedule(cron="30 2 * * *", timezone="Europe/Berlin"), last_fire=None
        )
        times = scheduler.next_fire_times("p", 2)
        assert [t.isoformat() for t in times] == [
            "2030-03-31T03:00:00+02:00",
            "2030-04-01T02:30:00+02:00",
        ]
        assert [f.dst_shifted for f in scheduler.preview("p", 2)] == [True, False]

    async def test_schedules_lists_next_fire_and_paused_flag(
        self, scheduler: PipelineScheduler
    ) -> None:
        scheduler.set_schedule("b", hourly(), last_fire=None)
        scheduler.set_schedule("a", hourly(), last_fire=None)
        scheduler.pause("b")
        listing = scheduler.schedules()
        assert [(s.pipeline, s.paused) for s in listing] == [("a", False), ("b", True)]
        assert listing[0].next_fire == T0 + 4 * HOUR
        assert listing[1].next_fire is None

    async def test_replacing_a_schedule_applies_from_now_without_catch_up(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", hourly("all"), last_fire=None)
        await scheduler.start()
        scheduler.set_schedule("p", every_minute("all"), last_fire=T0)
        await scheduler.settled()
        assert recorder.fired == []
        assert scheduler.next_fire_times("p", 1) == [clock.now.replace(second=0) + MINUTE]

    async def test_setting_the_same_schedule_again_keeps_the_cadence(
        self, scheduler: PipelineScheduler, clock: FakeClock
    ) -> None:
        anchor = clock.now - timedelta(seconds=7)
        scheduler.set_schedule("p", Schedule(every_s=30), last_fire=anchor)
        before = scheduler.next_fire_times("p", 2)
        clock.now += timedelta(seconds=5)
        scheduler.set_schedule("p", Schedule(every_s=30), last_fire=anchor)
        assert scheduler.next_fire_times("p", 2) == before

    async def test_schedule_changed_while_paused_is_caught_up_on_resume(
        self, scheduler: PipelineScheduler, recorder: Recorder, clock: FakeClock
    ) -> None:
        scheduler.set_schedule("p", hourly("none"), last_fire=None)
        await scheduler.start()
        scheduler.pause("p")
        base = clock.now.replace(second=0)
        scheduler.set_schedule("p", every_minute("none"), last_fire=None)
        clock.now = base + 2 * MINUTE
        await scheduler.resume("p")
        assert recorder.missed_at == [base + MINUTE, base + 2 * MINUTE]
        assert "paused" in recorder.missed[0][2]

    async def test_removed_pipeline_is_not_scheduled(self, scheduler: PipelineScheduler) -> None:
        scheduler.set_schedule("p", hourly(), last_fire=None)
        scheduler.remove("p")
        with pytest.raises(NotScheduled, match="pipeline 'p' has no schedule"):
            scheduler.next_fire_times("p", 1)

    @pytest.mark.parametrize(
        ("schedule", "fragment"),
        [
            (Schedule(cron="0 0 * * 8"), "8 is out of range 0-7"),
            (Schedule(), "exactly one of cron: and every:"),
            (Schedule(every_s=0), "positive duration"),
            (Schedule(cron="@daily", max_active_runs=0), "max_active_runs: 0"),
            (Schedule(cron="@daily", timezone="Mars/Olympus"), "unknown timezone"),
        ],
    )
    def test_unusable_schedule_is_refused_with_the_reason(
        self, schedule: Schedule, fragment: str
    ) -> None:
        scheduler = PipelineScheduler(Recorder().fire, Recorder().record_missed)
        with pytest.raises(ScheduleError) as caught:
            scheduler.set_schedule("p", schedule, last_fire=None)
        assert fragment in str(caught.value)
