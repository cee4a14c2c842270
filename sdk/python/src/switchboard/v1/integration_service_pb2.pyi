import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from switchboard.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class StartSlackOAuthRequest(_message.Message):
    __slots__ = ("team_id", "redirect_uri", "reconnect_integration_id")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    redirect_uri: str
    reconnect_integration_id: str
    def __init__(self, team_id: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., reconnect_integration_id: _Optional[str] = ...) -> None: ...

class StartSlackOAuthResponse(_message.Message):
    __slots__ = ("authorize_url", "state", "expire_time")
    AUTHORIZE_URL_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    authorize_url: str
    state: str
    expire_time: _timestamp_pb2.Timestamp
    def __init__(self, authorize_url: _Optional[str] = ..., state: _Optional[str] = ..., expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CompleteSlackOAuthRequest(_message.Message):
    __slots__ = ("code", "state")
    CODE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    code: str
    state: str
    def __init__(self, code: _Optional[str] = ..., state: _Optional[str] = ...) -> None: ...

class ReconnectIntegrationRequest(_message.Message):
    __slots__ = ("integration_id", "reconnect_token", "request_id")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    reconnect_token: str
    request_id: str
    def __init__(self, integration_id: _Optional[str] = ..., reconnect_token: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetIntegrationRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class ListIntegrationsRequest(_message.Message):
    __slots__ = ("team_id", "page_size", "page_token", "category", "platform_name", "status", "enabled")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_NAME_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    page_size: int
    page_token: str
    category: _resources_pb2.IntegrationCategory
    platform_name: str
    status: _resources_pb2.IntegrationStatus
    enabled: bool
    def __init__(self, team_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., category: _Optional[_Union[_resources_pb2.IntegrationCategory, str]] = ..., platform_name: _Optional[str] = ..., status: _Optional[_Union[_resources_pb2.IntegrationStatus, str]] = ..., enabled: _Optional[bool] = ...) -> None: ...

class ListIntegrationsResponse(_message.Message):
    __slots__ = ("integrations", "next_page_token", "total_size")
    INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_SIZE_FIELD_NUMBER: _ClassVar[int]
    integrations: _containers.RepeatedCompositeFieldContainer[_resources_pb2.Integration]
    next_page_token: str
    total_size: int
    def __init__(self, integrations: _Optional[_Iterable[_Union[_resources_pb2.Integration, _Mapping]]] = ..., next_page_token: _Optional[str] = ..., total_size: _Optional[int] = ...) -> None: ...

class UpdateIntegrationRequest(_message.Message):
    __slots__ = ("integration", "update_mask")
    INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    integration: _resources_pb2.Integration
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, integration: _Optional[_Union[_resources_pb2.Integration, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteIntegrationRequest(_message.Message):
    __slots__ = ("integration_id", "skip_token_revocation")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    SKIP_TOKEN_REVOCATION_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    skip_token_revocation: bool
    def __init__(self, integration_id: _Optional[str] = ..., skip_token_revocation: _Optional[bool] = ...) -> None: ...

class ListPlatformsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Platform(_message.Message):
    __slots__ = ("platform_name", "category", "connectable")
    PLATFORM_NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONNECTABLE_FIELD_NUMBER: _ClassVar[int]
    platform_name: str
    category: _resources_pb2.IntegrationCategory
    connectable: bool
    def __init__(self, platform_name: _Optional[str] = ..., category: _Optional[_Union[_resources_pb2.IntegrationCategory, str]] = ..., connectable: _Optional[bool] = ...) -> None: ...

class ListPlatformsResponse(_message.Message):
    __slots__ = ("platforms",)
    PLATFORMS_FIELD_NUMBER: _ClassVar[int]
    platforms: _containers.RepeatedCompositeFieldContainer[Platform]
    def __init__(self, platforms: _Optional[_Iterable[_Union[Platform, _Mapping]]] = ...) -> None: ...
