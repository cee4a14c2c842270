import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.rpc import status_pb2 as _status_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DeliveryKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_KIND_UNSPECIFIED: _ClassVar[DeliveryKind]
    DELIVERY_KIND_POST: _ClassVar[DeliveryKind]
    DELIVERY_KIND_REPLY: _ClassVar[DeliveryKind]
    DELIVERY_KIND_UPDATE: _ClassVar[DeliveryKind]
    DELIVERY_KIND_DELETE: _ClassVar[DeliveryKind]

class DeliveryState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    DELIVERY_STATE_UNSPECIFIED: _ClassVar[DeliveryState]
    DELIVERY_STATE_QUEUED: _ClassVar[DeliveryState]
    DELIVERY_STATE_RETRYING: _ClassVar[DeliveryState]
    DELIVERY_STATE_SENT: _ClassVar[DeliveryState]
    DELIVERY_STATE_FAILED: _ClassVar[DeliveryState]
    DELIVERY_STATE_CANCELLED: _ClassVar[DeliveryState]
DELIVERY_KIND_UNSPECIFIED: DeliveryKind
DELIVERY_KIND_POST: DeliveryKind
DELIVERY_KIND_REPLY: DeliveryKind
DELIVERY_KIND_UPDATE: DeliveryKind
DELIVERY_KIND_DELETE: DeliveryKind
DELIVERY_STATE_UNSPECIFIED: DeliveryState
DELIVERY_STATE_QUEUED: DeliveryState
DELIVERY_STATE_RETRYING: DeliveryState
DELIVERY_STATE_SENT: DeliveryState
DELIVERY_STATE_FAILED: DeliveryState
DELIVERY_STATE_CANCELLED: DeliveryState

class MessageTemplate(_message.Message):
    __slots__ = ("name", "variables")
    class VariablesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    VARIABLES_FIELD_NUMBER: _ClassVar[int]
    name: str
    variables: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., variables: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("text", "blocks", "template", "unfurl_links", "unfurl_media")
    TEXT_FIELD_NUMBER: _ClassVar[int]
    BLOCKS_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    UNFURL_LINKS_FIELD_NUMBER: _ClassVar[int]
    UNFURL_MEDIA_FIELD_NUMBER: _ClassVar[int]
    text: str
    blocks: _struct_pb2.ListValue
    template: MessageTemplate
    unfurl_links: bool
    unfurl_media: bool
    def __init__(self, text: _Optional[str] = ..., blocks: _Optional[_Union[_struct_pb2.ListValue, _Mapping]] = ..., template: _Optional[_Union[MessageTemplate, _Mapping]] = ..., unfurl_links: _Optional[bool] = ..., unfurl_media: _Optional[bool] = ...) -> None: ...

class Delivery(_message.Message):
    __slots__ = ("id", "integration_id", "kind", "internal_message_id", "parent_internal_message_id", "message_type", "state", "channel_id", "slack_ts", "thread_ts", "attempts", "last_error", "create_time", "next_attempt_time", "sent_time")
    ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SLACK_TS_FIELD_NUMBER: _ClassVar[int]
    THREAD_TS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    NEXT_ATTEMPT_TIME_FIELD_NUMBER: _ClassVar[int]
    SENT_TIME_FIELD_NUMBER: _ClassVar[int]
    id: str
    integration_id: str
    kind: DeliveryKind
    internal_message_id: str
    parent_internal_message_id: str
    message_type: str
    state: DeliveryState
    channel_id: str
    slack_ts: str
    thread_ts: str
    attempts: int
    last_error: str
    create_time: _timestamp_pb2.Timestamp
    next_attempt_time: _timestamp_pb2.Timestamp
    sent_time: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., integration_id: _Optional[str] = ..., kind: _Optional[_Union[DeliveryKind, str]] = ..., internal_message_id: _Optional[str] = ..., parent_internal_message_id: _Optional[str] = ..., message_type: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., channel_id: _Optional[str] = ..., slack_ts: _Optional[str] = ..., thread_ts: _Optional[str] = ..., attempts: _Optional[int] = ..., last_error: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., next_attempt_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., sent_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class SendMessageRequest(_message.Message):
    __slots__ = ("integration_id", "message", "internal_message_id", "message_type", "wait_for_delivery")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    message: Message
    internal_message_id: str
    message_type: str
    wait_for_delivery: bool
    def __init__(self, integration_id: _Optional[str] = ..., message: _Optional[_Union[Message, _Mapping]] = ..., internal_message_id: _Optional[str] = ..., message_type: _Optional[str] = ..., wait_for_delivery: _Optional[bool] = ...) -> None: ...

class ReplyToMessageRequest(_message.Message):
    __slots__ = ("integration_id", "parent_internal_message_id", "message", "internal_message_id", "reply_broadcast", "wait_for_delivery", "message_type")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    PARENT_INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    REPLY_BROADCAST_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TYPE_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    parent_internal_message_id: str
    message: Message
    internal_message_id: str
    reply_broadcast: bool
    wait_for_delivery: bool
    message_type: str
    def __init__(self, integration_id: _Optional[str] = ..., parent_internal_message_id: _Optional[str] = ..., message: _Optional[_Union[Message, _Mapping]] = ..., internal_message_id: _Optional[str] = ..., reply_broadcast: _Optional[bool] = ..., wait_for_delivery: _Optional[bool] = ..., message_type: _Optional[str] = ...) -> None: ...

class GetDeliveryRequest(_message.Message):
    __slots__ = ("delivery_id", "integration_id")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    integration_id: str
    def __init__(self, delivery_id: _Optional[str] = ..., integration_id: _Optional[str] = ...) -> None: ...

class ListDeliveriesRequest(_message.Message):
    __slots__ = ("integration_id", "state", "page_size", "page_token")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    state: DeliveryState
    page_size: int
    page_token: str
    def __init__(self, integration_id: _Optional[str] = ..., state: _Optional[_Union[DeliveryState, str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListDeliveriesResponse(_message.Message):
    __slots__ = ("deliveries", "next_page_token")
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    deliveries: _containers.RepeatedCompositeFieldContainer[Delivery]
    next_page_token: str
    def __init__(self, deliveries: _Optional[_Iterable[_Union[Delivery, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateMessageRequest(_message.Message):
    __slots__ = ("integration_id", "internal_message_id", "message", "wait_for_delivery", "request_id")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    internal_message_id: str
    message: Message
    wait_for_delivery: bool
    request_id: str
    def __init__(self, integration_id: _Optional[str] = ..., internal_message_id: _Optional[str] = ..., message: _Optional[_Union[Message, _Mapping]] = ..., wait_for_delivery: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class DeleteMessageRequest(_message.Message):
    __slots__ = ("integration_id", "internal_message_id", "wait_for_delivery", "request_id")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    WAIT_FOR_DELIVERY_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    internal_message_id: str
    wait_for_delivery: bool
    request_id: str
    def __init__(self, integration_id: _Optional[str] = ..., internal_message_id: _Optional[str] = ..., wait_for_delivery: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetMessageThreadRequest(_message.Message):
    __slots__ = ("integration_id", "internal_message_id")
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    internal_message_id: str
    def __init__(self, integration_id: _Optional[str] = ..., internal_message_id: _Optional[str] = ...) -> None: ...

class ThreadMessage(_message.Message):
    __slots__ = ("ts", "text", "user_id", "bot_id", "thread_ts")
    TS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    BOT_ID_FIELD_NUMBER: _ClassVar[int]
    THREAD_TS_FIELD_NUMBER: _ClassVar[int]
    ts: str
    text: str
    user_id: str
    bot_id: str
    thread_ts: str
    def __init__(self, ts: _Optional[str] = ..., text: _Optional[str] = ..., user_id: _Optional[str] = ..., bot_id: _Optional[str] = ..., thread_ts: _Optional[str] = ...) -> None: ...

class GetMessageThreadResponse(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[ThreadMessage]
    def __init__(self, messages: _Optional[_Iterable[_Union[ThreadMessage, _Mapping]]] = ...) -> None: ...

class BatchSendMessagesRequest(_message.Message):
    __slots__ = ("requests", "request_id")
    REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    requests: _containers.RepeatedCompositeFieldContainer[SendMessageRequest]
    request_id: str
    def __init__(self, requests: _Optional[_Iterable[_Union[SendMessageRequest, _Mapping]]] = ..., request_id: _Optional[str] = ...) -> None: ...

class BatchSendResult(_message.Message):
    __slots__ = ("delivery", "error", "not_attempted")
    DELIVERY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    NOT_ATTEMPTED_FIELD_NUMBER: _ClassVar[int]
    delivery: Delivery
    error: _status_pb2.Status
    not_attempted: bool
    def __init__(self, delivery: _Optional[_Union[Delivery, _Mapping]] = ..., error: _Optional[_Union[_status_pb2.Status, _Mapping]] = ..., not_attempted: _Optional[bool] = ...) -> None: ...

class BatchSendMessagesResponse(_message.Message):
    __slots__ = ("results",)
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    results: _containers.RepeatedCompositeFieldContainer[BatchSendResult]
    def __init__(self, results: _Optional[_Iterable[_Union[BatchSendResult, _Mapping]]] = ...) -> None: ...

class ValidateMessagingCapabilityRequest(_message.Message):
    __slots__ = ("integration_id",)
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    integration_id: str
    def __init__(self, integration_id: _Optional[str] = ...) -> None: ...

class ValidateMessagingCapabilityResponse(_message.Message):
    __slots__ = ("can_send", "integration_active", "channel_configured", "reason")
    CAN_SEND_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ACTIVE_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_CONFIGURED_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    can_send: bool
    integration_active: bool
    channel_configured: bool
    reason: str
    def __init__(self, can_send: _Optional[bool] = ..., integration_active: _Optional[bool] = ..., channel_configured: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...
