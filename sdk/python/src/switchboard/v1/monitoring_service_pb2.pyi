import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CheckIntegrationHealthRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class IntegrationHealth(_message.Message):
    __slots__ = ("integration_id", "team_id", "workspace_name", "healthy", "error", "check_time", "latency")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_NAME_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CHECK_TIME_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    team_id: str
    workspace_name: str
    healthy: bool
    error: str
    check_time: _timestamp_pb2.Timestamp
    latency: _duration_pb2.Duration
    def __init__(self, integration_id: _Optional[str] = ..., team_id: _Optional[str] = ..., workspace_name: _Optional[str] = ..., healthy: _Optional[bool] = ..., error: _Optional[str] = ..., check_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class CheckAllIntegrationsRequest(_message.Message):
    __slots__ = ("team_id",)
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    def __init__(self, team_id: _Optional[str] = ...) -> None: ...

class CheckAllIntegrationsResponse(_message.Message):
    __slots__ = ("total", "healthy", "unhealthy", "details")
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_FIELD_NUMBER: _ClassVar[int]
    UNHEALTHY_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    total: int
    healthy: int
    unhealthy: int
    details: _containers.RepeatedCompositeFieldContainer[IntegrationHealth]
    def __init__(self, total: _Optional[int] = ..., healthy: _Optional[int] = ..., unhealthy: _Optional[int] = ..., details: _Optional[_Iterable[_Union[IntegrationHealth, _Mapping]]] = ...) -> None: ...

class GetMessagingStatsRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "team_id", "integration_id")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    team_id: str
    integration_id: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., team_id: _Optional[str] = ..., integration_id: _Optional[str] = ...) -> None: ...

class ErrorCount(_message.Message):
    __slots__ = ("error", "count")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    error: str
    count: int
    def __init__(self, error: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GetMessagingStatsResponse(_message.Message):
    __slots__ = ("total_attempts", "successful", "failed", "retried_deliveries", "retry_rate", "common_errors", "p50_latency", "p95_latency")
    TOTAL_ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    SUCCESSFUL_FIELD_NUMBER: _ClassVar[int]
    FAILED_FIELD_NUMBER: _ClassVar[int]
    RETRIED_DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    RETRY_RATE_FIELD_NUMBER: _ClassVar[int]
    COMMON_ERRORS_FIELD_NUMBER: _ClassVar[int]
    P50_LATENCY_FIELD_NUMBER: _ClassVar[int]
    P95_LATENCY_FIELD_NUMBER: _ClassVar[int]
    total_attempts: int
    successful: int
    failed: int
    retried_deliveries: int
    retry_rate: float
    common_errors: _containers.RepeatedCompositeFieldContainer[ErrorCount]
    p50_latency: _duration_pb2.Duration
    p95_latency: _duration_pb2.Duration
    def __init__(self, total_attempts: _Optional[int] = ..., successful: _Optional[int] = ..., failed: _Optional[int] = ..., retried_deliveries: _Optional[int] = ..., retry_rate: _Optional[float] = ..., common_errors: _Optional[_Iterable[_Union[ErrorCount, _Mapping]]] = ..., p50_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., p95_latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class GetDashboardStatsRequest(_message.Message):
    __slots__ = ("team_id",)
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    def __init__(self, team_id: _Optional[str] = ...) -> None: ...

class GetDashboardStatsResponse(_message.Message):
    __slots__ = ("total_integrations", "active_integrations", "configured_channels", "healthy_integrations", "messages_last_24h", "replies_last_24h", "threads_last_24h", "duplicate_connection_attempts_last_24h", "queued_deliveries")
    TOTAL_INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    CONFIGURED_CHANNELS_FIELD_NUMBER: _ClassVar[int]
    HEALTHY_INTEGRATIONS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_LAST_24H_FIELD_NUMBER: _ClassVar[int]
    REPLIES_LAST_24H_FIELD_NUMBER: _ClassVar[int]
    THREADS_LAST_24H_FIELD_NUMBER: _ClassVar[int]
    DUPLICATE_CONNECTION_ATTEMPTS_LAST_24H_FIELD_NUMBER: _ClassVar[int]
    QUEUED_DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    total_integrations: int
    active_integrations: int
    configured_channels: int
    healthy_integrations: int
    messages_last_24h: int
    replies_last_24h: int
    threads_last_24h: int
    duplicate_connection_attempts_last_24h: int
    queued_deliveries: int
    def __init__(self, total_integrations: _Optional[int] = ..., active_integrations: _Optional[int] = ..., configured_channels: _Optional[int] = ..., healthy_integrations: _Optional[int] = ..., messages_last_24h: _Optional[int] = ..., replies_last_24h: _Optional[int] = ..., threads_last_24h: _Optional[int] = ..., duplicate_connection_attempts_last_24h: _Optional[int] = ..., queued_deliveries: _Optional[int] = ...) -> None: ...

class GetMessageTypeBreakdownRequest(_message.Message):
    __slots__ = ("start_time", "end_time", "team_id")
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    team_id: str
    def __init__(self, start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., team_id: _Optional[str] = ...) -> None: ...

class MessageTypeCount(_message.Message):
    __slots__ = ("message_type", "count")
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    message_type: str
    count: int
    def __init__(self, message_type: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GetMessageTypeBreakdownResponse(_message.Message):
    __slots__ = ("entries",)
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[MessageTypeCount]
    def __init__(self, entries: _Optional[_Iterable[_Union[MessageTypeCount, _Mapping]]] = ...) -> None: ...
