"""ScheduleService: list, preview, pause and resume schedules."""

from __future__ import annotations

from typing import Any

import grpc
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest
from omnix.agent.schedule.book import ScheduleBook, ScheduleEntry
from omnix.v1 import schedule_pb2

Context = grpc.aio.ServicerContext[Any, Any]
MAX_PREVIEW = 1000


def schedule_message(book: ScheduleBook, entry: ScheduleEntry) -> schedule_pb2.Schedule:
    """A schedule with its next fire time (0 when paused or when it cannot be computed)."""
    try:
        upcoming = book.next_fire_times(entry.pipeline_name, 1)
    except Exception:
        upcoming = []
    return schedule_pb2.Schedule(
        pipeline_name=entry.pipeline_name,
        cron=entry.schedule.cron or "",
        every_s=entry.schedule.every_s or 0.0,
        timezone=entry.schedule.timezone,
        catchup=entry.schedule.catchup,
        paused=entry.paused,
        next_fire_at=upcoming[0].timestamp() if upcoming else 0.0,
    )


def _name(value: str) -> str:
    if not value:
        raise BadRequest("pipeline_name is empty: give a deployed pipeline's name")
    return value


_SHIFTS = {
    None: schedule_pb2.DST_SHIFT_NONE,
    "spring-forward": schedule_pb2.DST_SHIFT_SPRING_FORWARD,
    "fall-back": schedule_pb2.DST_SHIFT_FALL_BACK,
}


class ScheduleServicer:
    """The servicer; registered with the generated add_*_to_server function."""

    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    @unary
    async def ListSchedules(
        self, request: schedule_pb2.ListSchedulesRequest, context: Context
    ) -> schedule_pb2.ListSchedulesResponse:
        book = self._daemon.schedules
        return schedule_pb2.ListSchedulesResponse(
            schedules=[schedule_message(book, e) for e in book.entries()]
        )

    @unary
    async def PreviewSchedule(
        self, request: schedule_pb2.PreviewScheduleRequest, context: Context
    ) -> schedule_pb2.PreviewScheduleResponse:
        if not 0 <= request.count <= MAX_PREVIEW:
            raise BadRequest(f"count must be between 0 and {MAX_PREVIEW}, not {request.count}")
        fires = self._daemon.schedules.preview(_name(request.pipeline_name), request.count or 5)
        return schedule_pb2.PreviewScheduleResponse(
            fire_times=[fire.at.timestamp() for fire in fires],
            fires=[
                schedule_pb2.FireTime(at=fire.at.timestamp(), shift=_SHIFTS[fire.shift])
                for fire in fires
            ],
        )

    @unary
    async def PauseSchedule(
        self, request: schedule_pb2.PauseScheduleRequest, context: Context
    ) -> schedule_pb2.PauseScheduleResponse:
        name = _name(request.pipeline_name)
        await self._daemon.set_schedule_paused(name, True)
        entry = self._daemon.schedules.entry(name)
        return schedule_pb2.PauseScheduleResponse(
            schedule=schedule_message(self._daemon.schedules, entry)
        )

    @unary
    async def ResumeSchedule(
        self, request: schedule_pb2.ResumeScheduleRequest, context: Context
    ) -> schedule_pb2.ResumeScheduleResponse:
        name = _name(request.pipeline_name)
        await self._daemon.set_schedule_paused(name, False)
        entry = self._daemon.schedules.entry(name)
        return schedule_pb2.ResumeScheduleResponse(
            schedule=schedule_message(self._daemon.schedules, entry)
        )
