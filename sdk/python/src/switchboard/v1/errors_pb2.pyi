import datetime

from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from switchboard.v1 import resources_pb2 as _resources_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ReconnectDetails(_message.Message):
    __slots__ = ("existing_integration", "reconnect_token", "reconnect_token_expire_time")
    EXISTING_INTEGRATION_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_TOKEN_EXPIRE_TIME_FIELD_NUMBER: _ClassVar[int]
    existing_integration: _resources_pb2.Integration
    reconnect_token: str
    reconnect_token_expire_time: _timestamp_pb2.Timestamp
    def __init__(self, existing_integration: _Optional[_Union[_resources_pb2.Integration, _Mapping]] = ..., reconnect_token: _Optional[str] = ..., reconnect_token_expire_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
