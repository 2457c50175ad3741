from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UsageGrouping(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    USAGE_GROUPING_UNSPECIFIED: _ClassVar[UsageGrouping]
    USAGE_GROUPING_PIPELINE: _ClassVar[UsageGrouping]
    USAGE_GROUPING_NODE: _ClassVar[UsageGrouping]
    USAGE_GROUPING_DAY: _ClassVar[UsageGrouping]
    USAGE_GROUPING_AGENT: _ClassVar[UsageGrouping]
    USAGE_GROUPING_LANG: _ClassVar[UsageGrouping]
    USAGE_GROUPING_RUN: _ClassVar[UsageGrouping]
USAGE_GROUPING_UNSPECIFIED: UsageGrouping
USAGE_GROUPING_PIPELINE: UsageGrouping
USAGE_GROUPING_NODE: UsageGrouping
USAGE_GROUPING_DAY: UsageGrouping
USAGE_GROUPING_AGENT: UsageGrouping
USAGE_GROUPING_LANG: UsageGrouping
USAGE_GROUPING_RUN: UsageGrouping

class GetUsageRequest(_message.Message):
    __slots__ = ("group_by", "since", "until")
    GROUP_BY_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    group_by: UsageGrouping
    since: float
    until: float
    def __init__(self, group_by: _Optional[_Union[UsageGrouping, str]] = ..., since: _Optional[float] = ..., until: _Optional[float] = ...) -> None: ...

class UsageRow(_message.Message):
    __slots__ = ("key", "runs", "attempts", "failed_attempts", "wall_ms", "queue_wait_ms", "cpu_ms", "peak_rss_bytes", "bytes_in", "bytes_out", "log_bytes", "cost", "memory_byte_ms", "rows_in", "rows_out")
    KEY_FIELD_NUMBER: _ClassVar[int]
    RUNS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    FAILED_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    WALL_MS_FIELD_NUMBER: _ClassVar[int]
    QUEUE_WAIT_MS_FIELD_NUMBER: _ClassVar[int]
    CPU_MS_FIELD_NUMBER: _ClassVar[int]
    PEAK_RSS_BYTES_FIELD_NUMBER: _ClassVar[int]
    BYTES_IN_FIELD_NUMBER: _ClassVar[int]
    BYTES_OUT_FIELD_NUMBER: _ClassVar[int]
    LOG_BYTES_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    MEMORY_BYTE_MS_FIELD_NUMBER: _ClassVar[int]
    ROWS_IN_FIELD_NUMBER: _ClassVar[int]
    ROWS_OUT_FIELD_NUMBER: _ClassVar[int]
    key: _containers.RepeatedScalarFieldContainer[str]
    runs: int
    attempts: int
    failed_attempts: int
    wall_ms: int
    queue_wait_ms: int
    cpu_ms: int
    peak_rss_bytes: int
    bytes_in: int
    bytes_out: int
    log_bytes: int
    cost: str
    memory_byte_ms: int
    rows_in: int
    rows_out: int
    def __init__(self, key: _Optional[_Iterable[str]] = ..., runs: _Optional[int] = ..., attempts: _Optional[int] = ..., failed_attempts: _Optional[int] = ..., wall_ms: _Optional[int] = ..., queue_wait_ms: _Optional[int] = ..., cpu_ms: _Optional[int] = ..., peak_rss_bytes: _Optional[int] = ..., bytes_in: _Optional[int] = ..., bytes_out: _Optional[int] = ..., log_bytes: _Optional[int] = ..., cost: _Optional[str] = ..., memory_byte_ms: _Optional[int] = ..., rows_in: _Optional[int] = ..., rows_out: _Optional[int] = ...) -> None: ...

class GetUsageResponse(_message.Message):
    __slots__ = ("rows", "key_names", "currency", "priced")
    ROWS_FIELD_NUMBER: _ClassVar[int]
    KEY_NAMES_FIELD_NUMBER: _ClassVar[int]
    CURRENCY_FIELD_NUMBER: _ClassVar[int]
    PRICED_FIELD_NUMBER: _ClassVar[int]
    rows: _containers.RepeatedCompositeFieldContainer[UsageRow]
    key_names: _containers.RepeatedScalarFieldContainer[str]
    currency: str
    priced: bool
    def __init__(self, rows: _Optional[_Iterable[_Union[UsageRow, _Mapping]]] = ..., key_names: _Optional[_Iterable[str]] = ..., currency: _Optional[str] = ..., priced: _Optional[bool] = ...) -> None: ...
