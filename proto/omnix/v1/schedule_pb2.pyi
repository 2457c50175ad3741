from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DstShift(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DST_SHIFT_UNSPECIFIED: _ClassVar[DstShift]
    DST_SHIFT_NONE: _ClassVar[DstShift]
    DST_SHIFT_SPRING_FORWARD: _ClassVar[DstShift]
    DST_SHIFT_FALL_BACK: _ClassVar[DstShift]
DST_SHIFT_UNSPECIFIED: DstShift
DST_SHIFT_NONE: DstShift
DST_SHIFT_SPRING_FORWARD: DstShift
DST_SHIFT_FALL_BACK: DstShift

class Schedule(_message.Message):
    __slots__ = ("pipeline_name", "cron", "every_s", "timezone", "catchup", "paused", "next_fire_at")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    CRON_FIELD_NUMBER: _ClassVar[int]
    EVERY_S_FIELD_NUMBER: _ClassVar[int]
    TIMEZONE_FIELD_NUMBER: _ClassVar[int]
    CATCHUP_FIELD_NUMBER: _ClassVar[int]
    PAUSED_FIELD_NUMBER: _ClassVar[int]
    NEXT_FIRE_AT_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    cron: str
    every_s: float
    timezone: str
    catchup: str
    paused: bool
    next_fire_at: float
    def __init__(self, pipeline_name: _Optional[str] = ..., cron: _Optional[str] = ..., every_s: _Optional[float] = ..., timezone: _Optional[str] = ..., catchup: _Optional[str] = ..., paused: _Optional[bool] = ..., next_fire_at: _Optional[float] = ...) -> None: ...

class ListSchedulesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListSchedulesResponse(_message.Message):
    __slots__ = ("schedules",)
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    schedules: _containers.RepeatedCompositeFieldContainer[Schedule]
    def __init__(self, schedules: _Optional[_Iterable[_Union[Schedule, _Mapping]]] = ...) -> None: ...

class PreviewScheduleRequest(_message.Message):
    __slots__ = ("pipeline_name", "count")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    count: int
    def __init__(self, pipeline_name: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class PreviewScheduleResponse(_message.Message):
    __slots__ = ("fire_times", "fires")
    FIRE_TIMES_FIELD_NUMBER: _ClassVar[int]
    FIRES_FIELD_NUMBER: _ClassVar[int]
    fire_times: _containers.RepeatedScalarFieldContainer[float]
    fires: _containers.RepeatedCompositeFieldContainer[FireTime]
    def __init__(self, fire_times: _Optional[_Iterable[float]] = ..., fires: _Optional[_Iterable[_Union[FireTime, _Mapping]]] = ...) -> None: ...

class FireTime(_message.Message):
    __slots__ = ("at", "shift")
    AT_FIELD_NUMBER: _ClassVar[int]
    SHIFT_FIELD_NUMBER: _ClassVar[int]
    at: float
    shift: DstShift
    def __init__(self, at: _Optional[float] = ..., shift: _Optional[_Union[DstShift, str]] = ...) -> None: ...

class PauseScheduleRequest(_message.Message):
    __slots__ = ("pipeline_name",)
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    def __init__(self, pipeline_name: _Optional[str] = ...) -> None: ...

class PauseScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class ResumeScheduleRequest(_message.Message):
    __slots__ = ("pipeline_name",)
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    def __init__(self, pipeline_name: _Optional[str] = ...) -> None: ...

class ResumeScheduleResponse(_message.Message):
    __slots__ = ("schedule",)
    SCHEDULE_FIELD_NUMBER: _ClassVar[int]
    schedule: Schedule
    def __init__(self, schedule: _Optional[_Union[Schedule, _Mapping]] = ...) -> None: ...

class ListUnfiredFiresRequest(_message.Message):
    __slots__ = ("pipeline_name", "page_size")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    page_size: int
    def __init__(self, pipeline_name: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class UnfiredFire(_message.Message):
    __slots__ = ("pipeline_name", "scheduled_for", "recorded_at", "outcome", "reason")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FOR_FIELD_NUMBER: _ClassVar[int]
    RECORDED_AT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    scheduled_for: float
    recorded_at: float
    outcome: str
    reason: str
    def __init__(self, pipeline_name: _Optional[str] = ..., scheduled_for: _Optional[float] = ..., recorded_at: _Optional[float] = ..., outcome: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class ListUnfiredFiresResponse(_message.Message):
    __slots__ = ("fires",)
    FIRES_FIELD_NUMBER: _ClassVar[int]
    fires: _containers.RepeatedCompositeFieldContainer[UnfiredFire]
    def __init__(self, fires: _Optional[_Iterable[_Union[UnfiredFire, _Mapping]]] = ...) -> None: ...

class BackfillRequest(_message.Message):
    __slots__ = ("pipeline_name", "from_time", "to_time")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_TIME_FIELD_NUMBER: _ClassVar[int]
    TO_TIME_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    from_time: float
    to_time: float
    def __init__(self, pipeline_name: _Optional[str] = ..., from_time: _Optional[float] = ..., to_time: _Optional[float] = ...) -> None: ...

class BackfillRun(_message.Message):
    __slots__ = ("run_id", "scheduled_for")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FOR_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    scheduled_for: float
    def __init__(self, run_id: _Optional[str] = ..., scheduled_for: _Optional[float] = ...) -> None: ...

class BackfillResponse(_message.Message):
    __slots__ = ("runs", "skipped")
    RUNS_FIELD_NUMBER: _ClassVar[int]
    SKIPPED_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[BackfillRun]
    skipped: int
    def __init__(self, runs: _Optional[_Iterable[_Union[BackfillRun, _Mapping]]] = ..., skipped: _Optional[int] = ...) -> None: ...
