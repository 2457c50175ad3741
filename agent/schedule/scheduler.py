"""PipelineScheduler: fires deployed pipelines on their schedules, catches up, never drops.

The daemon owns persistence and runs; this class owns time. It knows nothing of gRPC or
the store: it calls two callbacks and is told when runs end.

    scheduler = PipelineScheduler(fire=start_run, record_missed=record_missed)
    scheduler.set_schedule("sales-report", pipeline.schedule, last_fire=stored_last_fire)
    await scheduler.start()            # catches up, then fires on schedule
    ...
    scheduler.run_finished("sales-report")   # whenever a run it fired ends
    await scheduler.shutdown()

Callbacks (both awaited on the event loop; keep them short):

- `fire(pipeline, scheduled_for)` starts a run and returns once it has started (not when
  it ends). `scheduled_for` is the aware fire time the run stands for; store it with the
  run. If `fire` raises, the time is recorded missed with the error as the reason.
- `record_missed(pipeline, scheduled_for, reason)` records a fire time that did not
  produce a run; `reason` is a sentence for a person ("catchup: none; missed because
  the agent was not running").

Contract with the daemon:

- `last_fire` (given to `set_schedule`) is the latest `scheduled_for` the daemon has
  recorded for the pipeline, fired or missed; None for a newly deployed pipeline (no
  catch-up). Fire times reach the callbacks in chronological order per pipeline, so that
  single value is enough to resume without repeating or losing a time.
- Every run `fire` started must be reported with `run_finished(pipeline)` when it ends
  (any outcome). At most `schedule.max_active_runs` fired runs of a pipeline are active
  at once; a fire time that comes while that many are active is recorded missed.

Missed fire times (`schedule.catchup`), at `start()`, at `resume()` and whenever the
scheduler wakes up late (event loop blocked, machine suspended):

- `all`: each missed time fires, oldest first, queued one after another within
  `max_active_runs`; fire times arriving while that queue drains join its end.
- `last`: only the latest missed time fires; the others are recorded missed.
- `none`: all are recorded missed.

When the scheduler wakes up late, the latest due time fires regardless (it is the
current one) and the earlier ones follow the policy. At most `catch_up_limit` missed times
are handled individually (the latest ones); anything older is reported in one
`record_missed` call whose reason says so.

Other operations: `remove`, `pause` (no fires until `resume`), `next_fire_times`,
`preview` (with DST flags), `schedules()` (a listing for `omnix runs`/the TUI).
`set_schedule` with the schedule a pipeline already has is a no-op (redeploying code keeps
an `every:` cadence); a different schedule applies from now on, without catch-up.

APScheduler (AsyncIOScheduler, in-memory job store) is only the alarm clock: each job's
trigger is a `SourceTrigger` over our cron or interval source, and which fire times are
due is decided here from `handled_through`, so a late or skipped wake-up cannot lose one.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice, takewhile
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from omnix.agent.errors import NotScheduled
from omnix.agent.schedule.triggers import FireTimeSource, SourceTrigger, fire_time_source, utc_now
from omnix.shared.cron import FireTime
from omnix.shared.pipeline import Schedule

log = logging.getLogger(__name__)

Fire = Callable[[str, datetime], Awaitable[None]]
RecordMissed = Callable[[str, datetime, str], Awaitable[None]]
Clock = Callable[[], datetime]

WHILE_DOWN = "the agent was not running"
WHILE_PAUSED = "the pipeline was paused"
WHILE_LATE = "the scheduler woke up late (event loop blocked or machine suspended)"
# Fires queued behind a slow run are kept; only a pile-up beyond this is refused.
_MAX_APS_INSTANCES = 16


@dataclass(frozen=True, slots=True)
class ScheduledPipeline:
    """One line of `PipelineScheduler.schedules()`."""

    pipeline: str
    schedule: Schedule
    next_fire: datetime | None
    """None while paused."""
    paused: bool
    active_runs: int
    queued_runs: int


@dataclass(eq=False)
class _Entry:
    name: str
    schedule: Schedule
    source: FireTimeSource
    handled_through: datetime
    """Every fire time at or before this has been fired, queued or recorded missed."""
    paused: bool = False
    active: int = 0
    backlog: deque[datetime] = field(default_factory=deque)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class PipelineScheduler:
    """Fires pipelines on their schedules (see the module docstring for the contract)."""

    def __init__(
        self,
        fire: Fire,
        record_missed: RecordMissed,
        clock: Clock = utc_now,
        *,
        catch_up_limit: int = 1000,
    ) -> None:
        self._fire = fire
        self._record_missed = record_missed
        self._clock = clock
        self._catch_up_limit = catch_up_limit
        self._entries: dict[str, _Entry] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._aps: AsyncIOScheduler | None = None

    # -- configuration -----------------------------------------------------------------

    def set_schedule(
        self, pipeline: str, schedule: Schedule, *, last_fire: datetime | None
    ) -> None:
        """Schedule `pipeline` (or replace its schedule); raises ScheduleError if unusable.

        A new pipeline set while running with a `last_fire` in the past catches up in the
        background (`await settled()` waits for it). Setting the schedule a pipeline
        already has changes nothing (an `every:` cadence keeps its phase); a different one
        applies from now on, or, while paused, to the times a later `resume` catches up.
        """
        now = self._clock()
        if last_fire is not None and last_fire.utcoffset() is None:
            raise ValueError("last_fire must be timezone-aware")
        entry = self._entries.get(pipeline)
        if entry is not None:
            if schedule == entry.schedule:
                return
            source = fire_time_source(schedule, anchor=now)
            entry.schedule, entry.source = schedule, source
            if not entry.paused:
                entry.handled_through = max(entry.handled_through, now)
            self._arm(entry)
            return
        since = last_fire if last_fire is not None else now
        entry = _Entry(pipeline, schedule, fire_time_source(schedule, anchor=since), since)
        self._entries[pipeline] = entry
        if self._aps is not None:
            self._spawn(self._catch_up_and_arm(entry, WHILE_DOWN))

    def remove(self, pipeline: str) -> None:
        """Stop scheduling `pipeline`; runs already fired carry on."""
        self._entry(pipeline)
        del self._entries[pipeline]
        if self._aps is not None and self._aps.get_job(pipeline) is not None:
            self._aps.remove_job(pipeline)

    def pause(self, pipeline: str) -> None:
        """No fires for `pipeline` until `resume`; missed times are handled then."""
        entry = self._entry(pipeline)
        entry.paused = True
        if self._aps is not None and self._aps.get_job(pipeline) is not None:
            self._aps.pause_job(pipeline)

    async def resume(self, pipeline: str) -> None:
        """Resume `pipeline`: fire times missed while paused follow its `catchup`."""
        entry = self._entry(pipeline)
        if not entry.paused:
            return
        entry.paused = False
        if self._aps is not None:
            await self._catch_up_and_arm(entry, WHILE_PAUSED)

    def run_finished(self, pipeline: str) -> None:
        """A run fired for `pipeline` has ended (any outcome): frees a slot."""
        entry = self._entries.get(pipeline)
        if entry is None:
            return  # removed meanwhile; nothing left to free
        entry.active = max(0, entry.active - 1)
        if entry.backlog and not entry.paused:
            self._spawn(self._locked_drain(entry))

    async def fire_due(self, pipeline: str) -> None:
        """Fire, queue or record what is due for `pipeline` as of the clock.

        The timer calls this when a fire time comes; calling it at any other time is
        harmless (nothing is due twice).
        """
        entry = self._entries.get(pipeline)
        if entry is None or entry.paused:
            return
        async with entry.lock:
            await self._handle_due(entry, self._clock(), WHILE_LATE, current=True)

    # -- queries ------------------------------------------------------------------------

    def next_fire_times(self, pipeline: str, n: int) -> list[datetime]:
        """The next `n` fire times of `pipeline`, aware in its schedule's timezone."""
        return [fire.at for fire in self.preview(pipeline, n)]

    def preview(self, pipeline: str, n: int) -> list[FireTime]:
        """The next `n` fire times of `pipeline`, with DST-affected ones flagged."""
        entry = self._entry(pipeline)
        after = max(entry.handled_through, self._clock())
        return list(islice(entry.source.fire_times_after(after), n))

    def fire_times_between(self, pipeline: str, start: datetime, end: datetime) -> list[datetime]:
        """Every fire time of `pipeline`'s schedule from `start` to `end`, both included
        (whether or not it fired), earliest first."""
        entry = self._entry(pipeline)
        before_start = start - timedelta(microseconds=1)
        return [
            fire.at
            for fire in takewhile(
                lambda fire: fire.at <= end, entry.source.fire_times_after(before_start)
            )
        ]

    def schedules(self) -> list[ScheduledPipeline]:
        """Every scheduled pipeline with its next fire time, sorted by name."""
        listing = []
        for name in sorted(self._entries):
            entry = self._entries[name]
            next_fire = None if entry.paused else self.next_fire_times(name, 1)[0]
            listing.append(
                ScheduledPipeline(
                    name, entry.schedule, next_fire, entry.paused, entry.active, len(entry.backlog)
                )
            )
        return listing

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Catch up on fire times missed while the agent was down, then fire on schedule."""
        if self._aps is not None:
            raise RuntimeError("the scheduler is already running")
        # APScheduler logs two INFO lines per fire and one per schedule change; the daemon
        # logs runs itself, so only its warnings are worth a journal line.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._aps.start()
        for entry in list(self._entries.values()):
            if entry.paused:
                self._arm(entry)
            else:
                await self._catch_up_and_arm(entry, WHILE_DOWN)

    async def settled(self) -> None:
        """Wait until background catch-ups and queue drains have finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def shutdown(self) -> None:
        """Stop firing; background work is cancelled. Runs already fired carry on."""
        if self._aps is not None:
            self._aps.shutdown(wait=False)
            self._aps = None
            await asyncio.sleep(0)  # APScheduler shuts down in a loop callback: let it run
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- internals ----------------------------------------------------------------------

    def _entry(self, pipeline: str) -> _Entry:
        try:
            return self._entries[pipeline]
        except KeyError:
            raise NotScheduled(pipeline) from None

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("scheduler background work failed", exc_info=task.exception())

    def _arm(self, entry: _Entry) -> None:
        """(Re)create the APScheduler job that wakes us for `entry`."""
        if self._aps is None:
            return
        self._aps.add_job(
            self.fire_due,
            trigger=SourceTrigger(entry.source, lambda: entry.handled_through),
            args=[entry.name],
            id=entry.name,
            name=entry.name,
            replace_existing=True,
            # Lateness and pile-ups are handled here from handled_through, so APScheduler
            # must never drop a wake-up on its own.
            coalesce=True,
            misfire_grace_time=None,
            max_instances=_MAX_APS_INSTANCES,
        )
        if entry.paused:
            self._aps.pause_job(entry.name)

    async def _catch_up_and_arm(self, entry: _Entry, reason: str) -> None:
        async with entry.lock:
            await self._handle_due(entry, self._clock(), reason, current=False)
        if self._entries.get(entry.name) is entry:
            self._arm(entry)

    async def _handle_due(
        self, entry: _Entry, now: datetime, reason: str, *, current: bool
    ) -> None:
        """Fire, queue or record every fire time in (handled_through, now].

        `current`: the latest due time is the one we woke up for and fires regardless of
        the policy; the earlier ones were missed for `reason`.
        """
        latest_first = []
        for fire in entry.source.fire_times_before(now):
            if fire.at <= entry.handled_through:
                break
            latest_first.append(fire.at)
            if len(latest_first) > self._catch_up_limit:
                break
        if not latest_first:
            return
        name, policy = entry.name, entry.schedule.catchup
        if len(latest_first) > self._catch_up_limit:
            unlisted = latest_first.pop()
            await self._missed(
                entry,
                unlisted,
                f"{reason}; more fire times were missed between "
                f"{entry.handled_through.isoformat()} and {unlisted.isoformat()} than the "
                f"{self._catch_up_limit} handled individually",
            )
        due = latest_first[::-1]
        entry.handled_through = due[-1]
        on_time = [due.pop()] if current else []
        if policy == "all":
            cut = max(0, len(due) - max(0, self._catch_up_limit - len(entry.backlog)))
            for at in due[:cut]:
                await self._missed(entry, at, f"{reason}; the catch-up queue is full")
            entry.backlog.extend(due[cut:])
            due = []
        elif policy == "last" and not current:
            on_time = [due.pop()]
        for missed in due:
            await self._missed(entry, missed, f"catchup: {policy}; missed because {reason}")
        for at in on_time:
            if len(entry.backlog) >= self._catch_up_limit:
                await self._missed(
                    entry, at, f"skipped: {len(entry.backlog)} catch-up runs are still queued"
                )
            elif entry.backlog:
                entry.backlog.append(at)  # behind the catch-up queue, keeping time order
            else:
                await self._start_or_skip(entry, at)
        await self._drain(entry)
        log.debug("handled %d fire time(s) of %s", len(latest_first), name)

    async def _start_or_skip(self, entry: _Entry, at: datetime) -> None:
        limit = entry.schedule.max_active_runs
        if entry.active >= limit:
            await self._missed(
                entry,
                at,
                f"skipped: {entry.active} run(s) still active and max_active_runs is {limit}",
            )
            return
        await self._start(entry, at)

    async def _locked_drain(self, entry: _Entry) -> None:
        async with entry.lock:
            await self._drain(entry)

    async def _drain(self, entry: _Entry) -> None:
        """Start queued catch-up fires while slots are free."""
        while entry.backlog and not entry.paused and self._entries.get(entry.name) is entry:
            if entry.active >= entry.schedule.max_active_runs:
                return
            await self._start(entry, entry.backlog.popleft())

    async def _start(self, entry: _Entry, at: datetime) -> None:
        entry.active += 1
        try:
            await self._fire(entry.name, at)
        except Exception as exc:
            entry.active -= 1
            log.exception("could not start a scheduled run of %s", entry.name)
            await self._missed(entry, at, f"the run could not start: {exc}")

    async def _missed(self, entry: _Entry, at: datetime, reason: str) -> None:
        try:
            await self._record_missed(entry.name, at, reason)
        except Exception:
            log.exception(
                "could not record a missed fire time of %s at %s (%s)", entry.name, at, reason
            )
