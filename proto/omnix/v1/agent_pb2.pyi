from omnix.v1 import schedule_pb2 as _schedule_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StoreHealth(_message.Message):
    __slots__ = ("ok", "detail", "path", "size_bytes", "schema_version")
    OK_FIELD_NUMBER: _ClassVar[int]
    DETAIL_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    SCHEMA_VERSION_FIELD_NUMBER: _ClassVar[int]
    ok: bool
    detail: str
    path: str
    size_bytes: int
    schema_version: int
    def __init__(self, ok: _Optional[bool] = ..., detail: _Optional[str] = ..., path: _Optional[str] = ..., size_bytes: _Optional[int] = ..., schema_version: _Optional[int] = ...) -> None: ...

class GetStatusRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetStatusResponse(_message.Message):
    __slots__ = ("version", "uptime_s", "listen_addresses", "pipelines", "schedules", "running_runs", "queued_runs", "store", "license_tier", "pid", "state_dir", "metrics_url", "alerts", "languages")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    UPTIME_S_FIELD_NUMBER: _ClassVar[int]
    LISTEN_ADDRESSES_FIELD_NUMBER: _ClassVar[int]
    PIPELINES_FIELD_NUMBER: _ClassVar[int]
    SCHEDULES_FIELD_NUMBER: _ClassVar[int]
    RUNNING_RUNS_FIELD_NUMBER: _ClassVar[int]
    QUEUED_RUNS_FIELD_NUMBER: _ClassVar[int]
    STORE_FIELD_NUMBER: _ClassVar[int]
    LICENSE_TIER_FIELD_NUMBER: _ClassVar[int]
    PID_FIELD_NUMBER: _ClassVar[int]
    STATE_DIR_FIELD_NUMBER: _ClassVar[int]
    METRICS_URL_FIELD_NUMBER: _ClassVar[int]
    ALERTS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    version: str
    uptime_s: float
    listen_addresses: _containers.RepeatedScalarFieldContainer[str]
    pipelines: int
    schedules: _containers.RepeatedCompositeFieldContainer[_schedule_pb2.Schedule]
    running_runs: int
    queued_runs: int
    store: StoreHealth
    license_tier: str
    pid: int
    state_dir: str
    metrics_url: str
    alerts: _containers.RepeatedCompositeFieldContainer[Alert]
    languages: _containers.RepeatedCompositeFieldContainer[LanguageSupport]
    def __init__(self, version: _Optional[str] = ..., uptime_s: _Optional[float] = ..., listen_addresses: _Optional[_Iterable[str]] = ..., pipelines: _Optional[int] = ..., schedules: _Optional[_Iterable[_Union[_schedule_pb2.Schedule, _Mapping]]] = ..., running_runs: _Optional[int] = ..., queued_runs: _Optional[int] = ..., store: _Optional[_Union[StoreHealth, _Mapping]] = ..., license_tier: _Optional[str] = ..., pid: _Optional[int] = ..., state_dir: _Optional[str] = ..., metrics_url: _Optional[str] = ..., alerts: _Optional[_Iterable[_Union[Alert, _Mapping]]] = ..., languages: _Optional[_Iterable[_Union[LanguageSupport, _Mapping]]] = ...) -> None: ...

class LanguageSupport(_message.Message):
    __slots__ = ("language", "version", "problem", "licensed", "tier_needed")
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    LICENSED_FIELD_NUMBER: _ClassVar[int]
    TIER_NEEDED_FIELD_NUMBER: _ClassVar[int]
    language: str
    version: str
    problem: str
    licensed: bool
    tier_needed: str
    def __init__(self, language: _Optional[str] = ..., version: _Optional[str] = ..., problem: _Optional[str] = ..., licensed: _Optional[bool] = ..., tier_needed: _Optional[str] = ...) -> None: ...

class Alert(_message.Message):
    __slots__ = ("rule", "key", "severity", "message", "fired_at")
    RULE_FIELD_NUMBER: _ClassVar[int]
    KEY_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    FIRED_AT_FIELD_NUMBER: _ClassVar[int]
    rule: str
    key: str
    severity: str
    message: str
    fired_at: float
    def __init__(self, rule: _Optional[str] = ..., key: _Optional[str] = ..., severity: _Optional[str] = ..., message: _Optional[str] = ..., fired_at: _Optional[float] = ...) -> None: ...
