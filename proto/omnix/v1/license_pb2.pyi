from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class LicenseState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LICENSE_STATE_UNSPECIFIED: _ClassVar[LicenseState]
    LICENSE_STATE_VALID: _ClassVar[LicenseState]
    LICENSE_STATE_EXPIRING: _ClassVar[LicenseState]
    LICENSE_STATE_EXPIRED: _ClassVar[LicenseState]
    LICENSE_STATE_INVALID: _ClassVar[LicenseState]
    LICENSE_STATE_ABSENT: _ClassVar[LicenseState]
LICENSE_STATE_UNSPECIFIED: LicenseState
LICENSE_STATE_VALID: LicenseState
LICENSE_STATE_EXPIRING: LicenseState
LICENSE_STATE_EXPIRED: LicenseState
LICENSE_STATE_INVALID: LicenseState
LICENSE_STATE_ABSENT: LicenseState

class LicenseLimit(_message.Message):
    __slots__ = ("name", "allowed", "used")
    NAME_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_FIELD_NUMBER: _ClassVar[int]
    USED_FIELD_NUMBER: _ClassVar[int]
    name: str
    allowed: int
    used: int
    def __init__(self, name: _Optional[str] = ..., allowed: _Optional[int] = ..., used: _Optional[int] = ...) -> None: ...

class LicenseFeature(_message.Message):
    __slots__ = ("name", "included")
    NAME_FIELD_NUMBER: _ClassVar[int]
    INCLUDED_FIELD_NUMBER: _ClassVar[int]
    name: str
    included: bool
    def __init__(self, name: _Optional[str] = ..., included: _Optional[bool] = ...) -> None: ...

class LicenseInfo(_message.Message):
    __slots__ = ("tier", "state", "message", "problem", "licensed_tier", "customer", "seats", "issued_at", "expires_at", "days_left", "license_id", "fingerprint", "features", "limits", "languages", "judged_at")
    TIER_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    PROBLEM_FIELD_NUMBER: _ClassVar[int]
    LICENSED_TIER_FIELD_NUMBER: _ClassVar[int]
    CUSTOMER_FIELD_NUMBER: _ClassVar[int]
    SEATS_FIELD_NUMBER: _ClassVar[int]
    ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    DAYS_LEFT_FIELD_NUMBER: _ClassVar[int]
    LICENSE_ID_FIELD_NUMBER: _ClassVar[int]
    FINGERPRINT_FIELD_NUMBER: _ClassVar[int]
    FEATURES_FIELD_NUMBER: _ClassVar[int]
    LIMITS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGES_FIELD_NUMBER: _ClassVar[int]
    JUDGED_AT_FIELD_NUMBER: _ClassVar[int]
    tier: str
    state: LicenseState
    message: str
    problem: str
    licensed_tier: str
    customer: str
    seats: int
    issued_at: float
    expires_at: float
    days_left: int
    license_id: str
    fingerprint: str
    features: _containers.RepeatedCompositeFieldContainer[LicenseFeature]
    limits: _containers.RepeatedCompositeFieldContainer[LicenseLimit]
    languages: _containers.RepeatedScalarFieldContainer[str]
    judged_at: float
    def __init__(self, tier: _Optional[str] = ..., state: _Optional[_Union[LicenseState, str]] = ..., message: _Optional[str] = ..., problem: _Optional[str] = ..., licensed_tier: _Optional[str] = ..., customer: _Optional[str] = ..., seats: _Optional[int] = ..., issued_at: _Optional[float] = ..., expires_at: _Optional[float] = ..., days_left: _Optional[int] = ..., license_id: _Optional[str] = ..., fingerprint: _Optional[str] = ..., features: _Optional[_Iterable[_Union[LicenseFeature, _Mapping]]] = ..., limits: _Optional[_Iterable[_Union[LicenseLimit, _Mapping]]] = ..., languages: _Optional[_Iterable[str]] = ..., judged_at: _Optional[float] = ...) -> None: ...

class GetLicenseRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLicenseResponse(_message.Message):
    __slots__ = ("license",)
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    license: LicenseInfo
    def __init__(self, license: _Optional[_Union[LicenseInfo, _Mapping]] = ...) -> None: ...

class InstallLicenseRequest(_message.Message):
    __slots__ = ("key",)
    KEY_FIELD_NUMBER: _ClassVar[int]
    key: str
    def __init__(self, key: _Optional[str] = ...) -> None: ...

class InstallLicenseResponse(_message.Message):
    __slots__ = ("license", "replaced")
    LICENSE_FIELD_NUMBER: _ClassVar[int]
    REPLACED_FIELD_NUMBER: _ClassVar[int]
    license: LicenseInfo
    replaced: str
    def __init__(self, license: _Optional[_Union[LicenseInfo, _Mapping]] = ..., replaced: _Optional[str] = ...) -> None: ...
