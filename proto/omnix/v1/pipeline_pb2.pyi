from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PipelineShare(_message.Message):
    __slots__ = ("user", "role", "shared_by", "shared_at")
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SHARED_BY_FIELD_NUMBER: _ClassVar[int]
    SHARED_AT_FIELD_NUMBER: _ClassVar[int]
    user: str
    role: str
    shared_by: str
    shared_at: float
    def __init__(self, user: _Optional[str] = ..., role: _Optional[str] = ..., shared_by: _Optional[str] = ..., shared_at: _Optional[float] = ...) -> None: ...

class Pipeline(_message.Message):
    __slots__ = ("name", "description", "latest_version", "created_at", "updated_at", "scheduled", "owner", "shares")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LATEST_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    SCHEDULED_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    SHARES_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    latest_version: int
    created_at: float
    updated_at: float
    scheduled: bool
    owner: str
    shares: _containers.RepeatedCompositeFieldContainer[PipelineShare]
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., latest_version: _Optional[int] = ..., created_at: _Optional[float] = ..., updated_at: _Optional[float] = ..., scheduled: _Optional[bool] = ..., owner: _Optional[str] = ..., shares: _Optional[_Iterable[_Union[PipelineShare, _Mapping]]] = ...) -> None: ...

class PipelineVersion(_message.Message):
    __slots__ = ("version", "deployed_at", "source_sha256", "source")
    VERSION_FIELD_NUMBER: _ClassVar[int]
    DEPLOYED_AT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_SHA256_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    version: int
    deployed_at: float
    source_sha256: str
    source: str
    def __init__(self, version: _Optional[int] = ..., deployed_at: _Optional[float] = ..., source_sha256: _Optional[str] = ..., source: _Optional[str] = ...) -> None: ...

class DeployPipelineRequest(_message.Message):
    __slots__ = ("source", "path", "files")
    class FilesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    source: str
    path: str
    files: _containers.ScalarMap[str, str]
    def __init__(self, source: _Optional[str] = ..., path: _Optional[str] = ..., files: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeployPipelineResponse(_message.Message):
    __slots__ = ("pipeline", "version")
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    version: int
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ..., version: _Optional[int] = ...) -> None: ...

class ListPipelinesRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class ListPipelinesResponse(_message.Message):
    __slots__ = ("pipelines",)
    PIPELINES_FIELD_NUMBER: _ClassVar[int]
    pipelines: _containers.RepeatedCompositeFieldContainer[Pipeline]
    def __init__(self, pipelines: _Optional[_Iterable[_Union[Pipeline, _Mapping]]] = ...) -> None: ...

class GetPipelineRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GetPipelineResponse(_message.Message):
    __slots__ = ("pipeline", "versions")
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    versions: _containers.RepeatedCompositeFieldContainer[PipelineVersion]
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ..., versions: _Optional[_Iterable[_Union[PipelineVersion, _Mapping]]] = ...) -> None: ...

class DeletePipelineRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class DeletePipelineResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SharePipelineRequest(_message.Message):
    __slots__ = ("name", "user", "role")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    name: str
    user: str
    role: str
    def __init__(self, name: _Optional[str] = ..., user: _Optional[str] = ..., role: _Optional[str] = ...) -> None: ...

class SharePipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class UnsharePipelineRequest(_message.Message):
    __slots__ = ("name", "user")
    NAME_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    name: str
    user: str
    def __init__(self, name: _Optional[str] = ..., user: _Optional[str] = ...) -> None: ...

class UnsharePipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...
