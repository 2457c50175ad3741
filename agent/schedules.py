"""The agent's schedules: which deployed pipelines fire when, paused or not.

This is the one place the scheduler (`omnix.agent.scheduler.PipelineScheduler`) plugs in.
`ScheduleBook` keeps the schedule of every deployed pipeline, rebuilt from the store at
start, and mirrors each change into the scheduler, whose `fire` callback starts a run and
whose `record_missed` callback records a fire missed while the agent was down.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from omnix.agent.api.errors import Unavailable
from omnix.agent.records import NotFound
from omnix.shared.pipeline import Schedule

log = logging.getLogger(__name__)

FireCallback = Callable[[str, datetime], Awaitable[None]]


class SchedulerPort(Protocol):
    """What the book needs of the scheduler."""

    def set_schedule(self, pipeline_name: str, schedule: Schedule) -> None: ...
    def remove(self, pipeline_name: str) -> None: ...
    def pause(self, pipeline_name: str) -> None: ...
    def resume(self, pipeline_name: str) -> None: ...
    def next_fire_times(self, pipeline_name: str, n: int) -> list[datetime]: ...
    def start(self) -> None: ...
    def shutdown(self) -> None: ...


@dataclass(slots=True)
class ScheduleEntry:
    pipeline_name: str
    schedule: Schedule
    paused: bool


SchedulerFactory = Callable[[FireCallback, FireCallback], SchedulerPort]


def default_scheduler_factory() -> SchedulerFactory | None:
    """The scheduler when this build has one, else None (schedules are kept but never fire)."""
    try:
        from omnix.agent.scheduler import PipelineScheduler  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def build(fire: FireCallback, record_missed: FireCallback) -> SchedulerPort:
        scheduler: SchedulerPort = PipelineScheduler(fire=fire, record_missed=record_missed)
        return scheduler

    return build


class ScheduleBook:
    """Every deployed pipeline's schedule, kept in step with the scheduler."""

    def __init__(self, scheduler: SchedulerPort | None) -> None:
        self._scheduler = scheduler
        self._entries: dict[str, ScheduleEntry] = {}

    def start(self) -> None:
        if self._scheduler is not None:
            self._scheduler.start()

    def shutdown(self) -> None:
        if self._scheduler is not None:
            self._scheduler.shutdown()

    def set(self, pipeline_name: str, schedule: Schedule | None, *, paused: bool = False) -> None:
        """Schedule a pipeline (None removes its schedule)."""
        if schedule is None:
            self.remove(pipeline_name)
            return
        self._entries[pipeline_name] = ScheduleEntry(pipeline_name, schedule, paused)
        if self._scheduler is not None:
            self._scheduler.set_schedule(pipeline_name, schedule)
            if paused:
                self._scheduler.pause(pipeline_name)

    def remove(self, pipeline_name: str) -> None:
        if self._entries.pop(pipeline_name, None) is not None and self._scheduler is not None:
            self._scheduler.remove(pipeline_name)

    def entries(self) -> list[ScheduleEntry]:
        return sorted(self._entries.values(), key=lambda e: e.pipeline_name)

    def entry(self, pipeline_name: str) -> ScheduleEntry:
        entry = self._entries.get(pipeline_name)
        if entry is None:
            raise NotFound(f"pipeline {pipeline_name!r} is not deployed with a schedule")
        return entry

    def set_paused(self, pipeline_name: str, paused: bool) -> ScheduleEntry:
        entry = self.entry(pipeline_name)
        entry.paused = paused
        if self._scheduler is not None:
            (self._scheduler.pause if paused else self._scheduler.resume)(pipeline_name)
        return entry

    def next_fire_times(self, pipeline_name: str, n: int) -> list[datetime]:
        """The next `n` fire times; empty while paused."""
        entry = self.entry(pipeline_name)
        if entry.paused:
            return []
        if self._scheduler is None:
            raise Unavailable("this agent was built without a scheduler; schedules do not fire")
        return self._scheduler.next_fire_times(pipeline_name, n)
