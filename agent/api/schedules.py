"""ScheduleService: list, preview, pause and resume schedules."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import grpc
from omnix.agent.api import access
from omnix.agent.api.errors import unary
from omnix.agent.daemon import Daemon
from omnix.agent.errors import BadRequest
from omnix.agent.schedule.scheduler import ScheduledPipeline
from omnix.agent.security.sharing import Action
from omnix.v1 import schedule_pb2

Context = grpc.aio.ServicerContext[Any, Any]
MAX_PREVIEW = 1000


def schedule_message(scheduled: ScheduledPipeline) -> schedule_pb2.Schedule:
    """A schedule with its next fire time (0 while paused)."""
    return schedule_pb2.Schedule(
        pipeline_name=scheduled.pipeline,
        cron=scheduled.schedule.cron or "",
        every_s=scheduled.schedule.every_s or 0.0,
        timezone=scheduled.schedule.timezone,
        catchup=scheduled.schedule.catchup,
        paused=scheduled.paused,
        next_fire_at=scheduled.next_fire.timestamp() if scheduled.next_fire else 0.0,
    )


def _moment(epoch: float) -> datetime:
    if not math.isfinite(epoch) or not 0 <= epoch < 253402300800:  # up to year 9999
        raise BadRequest(f"{epoch!r} is not a time: give Unix seconds")
    return datetime.fromtimestamp(epoch, UTC)


def _name(value: str) -> str:
    if not value:
        raise BadRequest("pipeline_name is empty: give a deployed pipeline's name")
    return value


def _pipeline(daemon: Daemon, value: str, action: Action) -> str:
    name = _name(value)
    access.pipeline(daemon, name, action)
    return name


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
        schedules = self._daemon.schedules()
        seen = access.visible(self._daemon, [s.pipeline for s in schedules])
        return schedule_pb2.ListSchedulesResponse(
            schedules=[schedule_message(s) for s in schedules if s.pipeline in seen]
        )

    @unary
    async def PreviewSchedule(
        self, request: schedule_pb2.PreviewScheduleRequest, context: Context
    ) -> schedule_pb2.PreviewScheduleResponse:
        if not 0 <= request.count <= MAX_PREVIEW:
            raise BadRequest(f"count must be between 0 and {MAX_PREVIEW}, not {request.count}")
        name = _pipeline(self._daemon, request.pipeline_name, Action.VIEW)
        fires = self._daemon.preview_schedule(name, request.count or 5)
        return schedule_pb2.PreviewScheduleResponse(
            fire_times=[fire.at.timestamp() for fire in fires],
            fires=[
                schedule_pb2.FireTime(at=fire.at.timestamp(), shift=_SHIFTS[fire.shift])
                for fire in fires
            ],
        )

    @unary
    async def ListUnfiredFires(
        self, request: schedule_pb2.ListUnfiredFiresRequest, context: Context
    ) -> schedule_pb2.ListUnfiredFiresResponse:
        if not 0 <= request.page_size <= MAX_PREVIEW:
            raise BadRequest(
                f"page_size must be between 0 and {MAX_PREVIEW}, not {request.page_size}"
            )
        if request.pipeline_name:
            access.pipeline(self._daemon, request.pipeline_name, Action.VIEW)
        fires = await self._daemon.unfired_fires(request.pipeline_name, request.page_size or 100)
        seen = access.visible(self._daemon, sorted({f.pipeline for f in fires}))
        fires = [f for f in fires if f.pipeline in seen]
        return schedule_pb2.ListUnfiredFiresResponse(
            fires=[
                schedule_pb2.UnfiredFire(
                    pipeline_name=f.pipeline,
                    scheduled_for=f.scheduled_for,
                    recorded_at=f.recorded_at,
                    outcome=f.outcome,
                    reason=f.reason,
                )
                for f in fires
            ]
        )

    @unary
    async def Backfill(
        self, request: schedule_pb2.BackfillRequest, context: Context
    ) -> schedule_pb2.BackfillResponse:
        name = _pipeline(self._daemon, request.pipeline_name, Action.RUN)
        runs, skipped = await self._daemon.backfill(
            name,
            _moment(request.from_time),
            _moment(request.to_time),
            started_by=access.caller().user,
        )
        return schedule_pb2.BackfillResponse(
            runs=[
                schedule_pb2.BackfillRun(run_id=run.run_id, scheduled_for=run.scheduled_for or 0)
                for run in runs
            ],
            skipped=skipped,
        )

    @unary
    async def PauseSchedule(
        self, request: schedule_pb2.PauseScheduleRequest, context: Context
    ) -> schedule_pb2.PauseScheduleResponse:
        name = _pipeline(self._daemon, request.pipeline_name, Action.RUN)
        scheduled = await self._daemon.set_schedule_paused(name, True)
        return schedule_pb2.PauseScheduleResponse(schedule=schedule_message(scheduled))

    @unary
    async def ResumeSchedule(
        self, request: schedule_pb2.ResumeScheduleRequest, context: Context
    ) -> schedule_pb2.ResumeScheduleResponse:
        name = _pipeline(self._daemon, request.pipeline_name, Action.RUN)
        scheduled = await self._daemon.set_schedule_paused(name, False)
        return schedule_pb2.ResumeScheduleResponse(schedule=schedule_message(scheduled))
