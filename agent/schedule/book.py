"""The agent's schedules: which deployed pipelines fire when, paused or not.

This is the one place the scheduler (`omnix.agent.scheduler.PipelineScheduler`) plugs in.
`ScheduleBook` keeps the schedule of every deployed pipeline, rebuilt from the store at
start, and mirrors each change into the scheduler. The scheduler calls back `fire` (start a
run) and `record_missed` (record a fire time that produced no run); the daemon reports the
end of every fired run with `run_finished`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from omnix.agent.errors import NotFound, Unavailable
from omnix.shared.pipeline import Schedule

if TYPE_CHECKING:
    from omnix.shared.cron import FireTime

log = logging.getLogger(__name__)

Fire = Callable[[str, datetime], Awaitable[None]]
RecordMissed = Callable[[str, datetime, str], Awaitable[None]]


class SchedulerPort(Protocol):
    """What the book needs of `PipelineScheduler`."""

    def set_schedule(
        self, pipeline: str, schedule: Schedule, *, last_fire: datetime | None
    ) -> None: ...
    def remove(self, pipeline: str) -> None: ...
    def pause(self, pipeline: str) -> None: ...
    async def resume(self, pipeline: str) -> None: ...
    def run_finished(self, pipeline: str) -> None: ...
    def next_fire_times(self, pipeline: str, n: int) -> list[datetime]: ...
    def preview(self, pipeline: str, n: int) -> list[FireTime]: ...
    async def start(self) -> None: ...
    async def shutdown(self) -> None: ...


SchedulerFactory = Callable[[Fire, RecordMissed], SchedulerPort]


@dataclass(slots=True)
class ScheduleEntry:
    """A deployed pipeline's schedule and whether it is paused."""

    pipeline_name: str
    schedule: Schedule
    paused: bool


def default_scheduler_factory() -> SchedulerFactory | None:
    """The scheduler when this build has one, else None (schedules are kept, never fire)."""
    try:
        from omnix.agent.schedule.scheduler import PipelineScheduler
    except ImportError:  # A build without the scheduler keeps schedules but never fires.
        return None

    def build(fire: Fire, record_missed: RecordMissed) -> SchedulerPort:
        scheduler: SchedulerPort = PipelineScheduler(fire=fire, record_missed=record_missed)
        return scheduler

    return build


class ScheduleBook:
    """Every deployed pipeline's schedule, kept in step with the scheduler."""

    def __init__(self, scheduler: SchedulerPort | None) -> None:
        self._scheduler = scheduler
        self._entries: dict[str, ScheduleEntry] = {}

    async def start(self) -> None:
        """Start firing: fire times missed while the agent was down follow each catchup."""
        if self._scheduler is not None:
            await self._scheduler.start()

    async def shutdown(self) -> None:
        """Stop firing; runs already started carry on."""
        if self._scheduler is not None:
            await self._scheduler.shutdown()

    def set(
        self,
        pipeline_name: str,
        schedule: Schedule | None,
        *,
        paused: bool = False,
        last_fire: datetime | None = None,
    ) -> None:
        """Schedule a pipeline (None removes its schedule). `last_fire` is the latest fire
        time recorded for it (fired or missed), from which missed ones are caught up."""
        if schedule is None:
            self.remove(pipeline_name)
            return
        self._entries[pipeline_name] = ScheduleEntry(pipeline_name, schedule, paused)
        if self._scheduler is not None:
            self._scheduler.set_schedule(pipeline_name, schedule, last_fire=last_fire)
            if paused:
                self._scheduler.pause(pipeline_name)

    def remove(self, pipeline_name: str) -> None:
        """Forget a pipeline's schedule (deleted, or deployed without one)."""
        if self._entries.pop(pipeline_name, None) is not None and self._scheduler is not None:
            self._scheduler.remove(pipeline_name)

    def run_finished(self, pipeline_name: str) -> None:
        """A run the scheduler fired has ended: frees its slot (max_active_runs)."""
        if self._scheduler is not None:
            self._scheduler.run_finished(pipeline_name)

    def entries(self) -> list[ScheduleEntry]:
        """Every schedule, by pipeline name."""
        return sorted(self._entries.values(), key=lambda e: e.pipeline_name)

    def entry(self, pipeline_name: str) -> ScheduleEntry:
        """A pipeline's schedule; NotFound when it has none."""
        entry = self._entries.get(pipeline_name)
        if entry is None:
            raise NotFound(f"pipeline {pipeline_name!r} is not deployed with a schedule")
        return entry

    async def set_paused(self, pipeline_name: str, paused: bool) -> ScheduleEntry:
        """Pause or resume firing; missed fires on resume follow the schedule's catchup."""
        entry = self.entry(pipeline_name)
        entry.paused = paused
        if self._scheduler is not None:
            if paused:
                self._scheduler.pause(pipeline_name)
            else:
                await self._scheduler.resume(pipeline_name)
        return entry

    def next_fire_times(self, pipeline_name: str, n: int) -> list[datetime]:
        """The next `n` fire times; empty while paused."""
        entry = self.entry(pipeline_name)
        if entry.paused:
            return []
        if self._scheduler is None:
            raise Unavailable("this agent was built without a scheduler; schedules do not fire")
        return self._scheduler.next_fire_times(pipeline_name, n)

    def preview(self, pipeline_name: str, n: int) -> list[FireTime]:
        """The next `n` fire times with the DST shift that affected each; empty while paused."""
        entry = self.entry(pipeline_name)
        if entry.paused:
            return []
        if self._scheduler is None:
            raise Unavailable("this agent was built without a scheduler; schedules do not fire")
        return self._scheduler.preview(pipeline_name, n)
