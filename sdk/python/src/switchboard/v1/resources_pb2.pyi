import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class IntegrationCategory(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEGRATION_CATEGORY_UNSPECIFIED: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_TICKETING: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_CRM: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_MESSAGING: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_COMMUNICATION: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_PROJECT_MANAGEMENT: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_CODE_REPOSITORY: _ClassVar[IntegrationCategory]
    INTEGRATION_CATEGORY_WEBHOOK: _ClassVar[IntegrationCategory]

class IntegrationStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    INTEGRATION_STATUS_UNSPECIFIED: _ClassVar[IntegrationStatus]
    INTEGRATION_STATUS_ACTIVE: _ClassVar[IntegrationStatus]
    INTEGRATION_STATUS_INACTIVE: _ClassVar[IntegrationStatus]
    INTEGRATION_STATUS_ERROR: _ClassVar[IntegrationStatus]
    INTEGRATION_STATUS_REVOKED: _ClassVar[IntegrationStatus]

class ChannelState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHANNEL_STATE_UNSPECIFIED: _ClassVar[ChannelState]
    CHANNEL_STATE_READY: _ClassVar[ChannelState]
    CHANNEL_STATE_ARCHIVED: _ClassVar[ChannelState]
    CHANNEL_STATE_DELETED: _ClassVar[ChannelState]
    CHANNEL_STATE_BOT_REMOVED: _ClassVar[ChannelState]
INTEGRATION_CATEGORY_UNSPECIFIED: IntegrationCategory
INTEGRATION_CATEGORY_TICKETING: IntegrationCategory
INTEGRATION_CATEGORY_CRM: IntegrationCategory
INTEGRATION_CATEGORY_MESSAGING: IntegrationCategory
INTEGRATION_CATEGORY_COMMUNICATION: IntegrationCategory
INTEGRATION_CATEGORY_PROJECT_MANAGEMENT: IntegrationCategory
INTEGRATION_CATEGORY_CODE_REPOSITORY: IntegrationCategory
INTEGRATION_CATEGORY_WEBHOOK: IntegrationCategory
INTEGRATION_STATUS_UNSPECIFIED: IntegrationStatus
INTEGRATION_STATUS_ACTIVE: IntegrationStatus
INTEGRATION_STATUS_INACTIVE: IntegrationStatus
INTEGRATION_STATUS_ERROR: IntegrationStatus
INTEGRATION_STATUS_REVOKED: IntegrationStatus
CHANNEL_STATE_UNSPECIFIED: ChannelState
CHANNEL_STATE_READY: ChannelState
CHANNEL_STATE_ARCHIVED: ChannelState
CHANNEL_STATE_DELETED: ChannelState
CHANNEL_STATE_BOT_REMOVED: ChannelState

class SlackWorkspace(_message.Message):
    __slots__ = ("workspace_id", "workspace_name", "enterprise_id", "enterprise_name", "is_enterprise_install", "bot_user_id", "bot_id", "app_id", "scopes")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_NAME_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_ID_FIELD_NUMBER: _ClassVar[int]
    ENTERPRISE_NAME_FIELD_NUMBER: _ClassVar[int]
    IS_ENTERPRISE_INSTALL_FIELD_NUMBER: _ClassVar[int]
    BOT_USER_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    workspace_name: str
    enterprise_id: str
    enterprise_name: str
    is_enterprise_install: bool
    bot_user_id: str
    bot_id: str
    app_id: str
    scopes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, workspace_id: _Optional[str] = ..., workspace_name: _Optional[str] = ..., enterprise_id: _Optional[str] = ..., enterprise_name: _Optional[str] = ..., is_enterprise_install: _Optional[bool] = ..., bot_user_id: _Optional[str] = ..., bot_id: _Optional[str] = ..., app_id: _Optional[str] = ..., scopes: _Optional[_Iterable[str]] = ...) -> None: ...

class NotificationChannel(_message.Message):
    __slots__ = ("channel_id", "channel_name", "state", "set_time")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    SET_TIME_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    channel_name: str
    state: ChannelState
    set_time: _timestamp_pb2.Timestamp
    def __init__(self, channel_id: _Optional[str] = ..., channel_name: _Optional[str] = ..., state: _Optional[_Union[ChannelState, str]] = ..., set_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Integration(_message.Message):
    __slots__ = ("id", "team_id", "name", "platform_name", "category", "enabled", "status", "status_reason", "slack_workspace", "notification_channel", "create_time", "update_time", "connect_time", "reconnect_count", "last_health_check_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_NAME_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STATUS_REASON_FIELD_NUMBER: _ClassVar[int]
    SLACK_WORKSPACE_FIELD_NUMBER: _ClassVar[int]
    NOTIFICATION_CHANNEL_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CONNECT_TIME_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    LAST_HEALTH_CHECK_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    team_id: str
    name: str
    platform_name: str
    category: IntegrationCategory
    enabled: bool
    status: IntegrationStatus
    status_reason: str
    slack_workspace: SlackWorkspace
    notification_channel: NotificationChannel
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    connect_time: _timestamp_pb2.Timestamp
    reconnect_count: int
    last_health_check_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., team_id: _Optional[str] = ..., name: _Optional[str] = ..., platform_name: _Optional[str] = ..., category: _Optional[_Union[IntegrationCategory, str]] = ..., enabled: _Optional[bool] = ..., status: _Optional[_Union[IntegrationStatus, str]] = ..., status_reason: _Optional[str] = ..., slack_workspace: _Optional[_Union[SlackWorkspace, _Mapping]] = ..., notification_channel: _Optional[_Union[NotificationChannel, _Mapping]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., connect_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., reconnect_count: _Optional[int] = ..., last_health_check_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
