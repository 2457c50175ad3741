from omnix.v1 import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class KeepOutputs(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    KEEP_OUTPUTS_UNSPECIFIED: _ClassVar[KeepOutputs]
    KEEP_OUTPUTS_FINAL: _ClassVar[KeepOutputs]
    KEEP_OUTPUTS_ALL: _ClassVar[KeepOutputs]
    KEEP_OUTPUTS_NONE: _ClassVar[KeepOutputs]
KEEP_OUTPUTS_UNSPECIFIED: KeepOutputs
KEEP_OUTPUTS_FINAL: KeepOutputs
KEEP_OUTPUTS_ALL: KeepOutputs
KEEP_OUTPUTS_NONE: KeepOutputs

class NodeResult(_message.Message):
    __slots__ = ("node_id", "status", "attempts", "duration_s", "output_json", "error", "queue_wait_s")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    QUEUE_WAIT_S_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    status: _status_pb2.NodeStatus
    attempts: int
    duration_s: float
    output_json: str
    error: str
    queue_wait_s: float
    def __init__(self, node_id: _Optional[str] = ..., status: _Optional[_Union[_status_pb2.NodeStatus, str]] = ..., attempts: _Optional[int] = ..., duration_s: _Optional[float] = ..., output_json: _Optional[str] = ..., error: _Optional[str] = ..., queue_wait_s: _Optional[float] = ...) -> None: ...

class Run(_message.Message):
    __slots__ = ("run_id", "pipeline", "version", "status", "reason", "params_json", "created_at", "started_at", "finished_at", "nodes", "trigger", "started_by")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    PARAMS_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    FINISHED_AT_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    TRIGGER_FIELD_NUMBER: _ClassVar[int]
    STARTED_BY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline: str
    version: int
    status: _status_pb2.RunStatus
    reason: str
    params_json: str
    created_at: float
    started_at: float
    finished_at: float
    nodes: _containers.RepeatedCompositeFieldContainer[NodeResult]
    trigger: str
    started_by: str
    def __init__(self, run_id: _Optional[str] = ..., pipeline: _Optional[str] = ..., version: _Optional[int] = ..., status: _Optional[_Union[_status_pb2.RunStatus, str]] = ..., reason: _Optional[str] = ..., params_json: _Optional[str] = ..., created_at: _Optional[float] = ..., started_at: _Optional[float] = ..., finished_at: _Optional[float] = ..., nodes: _Optional[_Iterable[_Union[NodeResult, _Mapping]]] = ..., trigger: _Optional[str] = ..., started_by: _Optional[str] = ...) -> None: ...

class StartRunRequest(_message.Message):
    __slots__ = ("pipeline_name", "pipeline_source", "version", "source_path", "params", "files", "keep_outputs", "output_nodes")
    class ParamsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_SOURCE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PATH_FIELD_NUMBER: _ClassVar[int]
    PARAMS_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    KEEP_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_NODES_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    pipeline_source: str
    version: int
    source_path: str
    params: _containers.ScalarMap[str, str]
    files: _containers.ScalarMap[str, str]
    keep_outputs: KeepOutputs
    output_nodes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, pipeline_name: _Optional[str] = ..., pipeline_source: _Optional[str] = ..., version: _Optional[int] = ..., source_path: _Optional[str] = ..., params: _Optional[_Mapping[str, str]] = ..., files: _Optional[_Mapping[str, str]] = ..., keep_outputs: _Optional[_Union[KeepOutputs, str]] = ..., output_nodes: _Optional[_Iterable[str]] = ...) -> None: ...

class StartRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class GetRunRequest(_message.Message):
    __slots__ = ("run_id", "include_outputs")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_OUTPUTS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    include_outputs: bool
    def __init__(self, run_id: _Optional[str] = ..., include_outputs: _Optional[bool] = ...) -> None: ...

class GetRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class ListRunsRequest(_message.Message):
    __slots__ = ("pipeline_name", "page_size")
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    pipeline_name: str
    page_size: int
    def __init__(self, pipeline_name: _Optional[str] = ..., page_size: _Optional[int] = ...) -> None: ...

class ListRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[Run]
    def __init__(self, runs: _Optional[_Iterable[_Union[Run, _Mapping]]] = ...) -> None: ...

class CancelRunRequest(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class CancelRunResponse(_message.Message):
    __slots__ = ("run",)
    RUN_FIELD_NUMBER: _ClassVar[int]
    run: Run
    def __init__(self, run: _Optional[_Union[Run, _Mapping]] = ...) -> None: ...

class WatchRunRequest(_message.Message):
    __slots__ = ("run_id", "history_only")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    HISTORY_ONLY_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    history_only: bool
    def __init__(self, run_id: _Optional[str] = ..., history_only: _Optional[bool] = ...) -> None: ...

class RunStateChange(_message.Message):
    __slots__ = ("status", "at", "reason")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    status: _status_pb2.RunStatus
    at: float
    reason: str
    def __init__(self, status: _Optional[_Union[_status_pb2.RunStatus, str]] = ..., at: _Optional[float] = ..., reason: _Optional[str] = ...) -> None: ...

class NodeStateChange(_message.Message):
    __slots__ = ("node_id", "status", "attempt", "at", "duration_s", "error", "queue_wait_s")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    DURATION_S_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    QUEUE_WAIT_S_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    status: _status_pb2.NodeStatus
    attempt: int
    at: float
    duration_s: float
    error: str
    queue_wait_s: float
    def __init__(self, node_id: _Optional[str] = ..., status: _Optional[_Union[_status_pb2.NodeStatus, str]] = ..., attempt: _Optional[int] = ..., at: _Optional[float] = ..., duration_s: _Optional[float] = ..., error: _Optional[str] = ..., queue_wait_s: _Optional[float] = ...) -> None: ...

class NodeLogChunk(_message.Message):
    __slots__ = ("node_id", "stream", "text", "at")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    STREAM_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AT_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    stream: str
    text: str
    at: float
    def __init__(self, node_id: _Optional[str] = ..., stream: _Optional[str] = ..., text: _Optional[str] = ..., at: _Optional[float] = ...) -> None: ...

class WatchRunResponse(_message.Message):
    __slots__ = ("run_id", "sequence", "run_state", "node_state", "log")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    RUN_STATE_FIELD_NUMBER: _ClassVar[int]
    NODE_STATE_FIELD_NUMBER: _ClassVar[int]
    LOG_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    sequence: int
    run_state: RunStateChange
    node_state: NodeStateChange
    log: NodeLogChunk
    def __init__(self, run_id: _Optional[str] = ..., sequence: _Optional[int] = ..., run_state: _Optional[_Union[RunStateChange, _Mapping]] = ..., node_state: _Optional[_Union[NodeStateChange, _Mapping]] = ..., log: _Optional[_Union[NodeLogChunk, _Mapping]] = ...) -> None: ...

class ReadOutputsRequest(_message.Message):
    __slots__ = ("run_id", "node_ids")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_IDS_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    node_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, run_id: _Optional[str] = ..., node_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class ReadOutputsResponse(_message.Message):
    __slots__ = ("node_id", "data", "last", "total_bytes")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    LAST_FIELD_NUMBER: _ClassVar[int]
    TOTAL_BYTES_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    data: bytes
    last: bool
    total_bytes: int
    def __init__(self, node_id: _Optional[str] = ..., data: _Optional[bytes] = ..., last: _Optional[bool] = ..., total_bytes: _Optional[int] = ...) -> None: ...
