import datetime

from google.api import annotations_pb2 as _annotations_pb2
from google.api import field_behavior_pb2 as _field_behavior_pb2
from google.protobuf import empty_pb2 as _empty_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from switchboard.v1 import messaging_service_pb2 as _messaging_service_pb2
from switchboard.v1 import resources_pb2 as _resources_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class WebhookSubscriptionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    WEBHOOK_SUBSCRIPTION_STATE_UNSPECIFIED: _ClassVar[WebhookSubscriptionState]
    WEBHOOK_SUBSCRIPTION_STATE_ACTIVE: _ClassVar[WebhookSubscriptionState]
    WEBHOOK_SUBSCRIPTION_STATE_DISABLED: _ClassVar[WebhookSubscriptionState]
WEBHOOK_SUBSCRIPTION_STATE_UNSPECIFIED: WebhookSubscriptionState
WEBHOOK_SUBSCRIPTION_STATE_ACTIVE: WebhookSubscriptionState
WEBHOOK_SUBSCRIPTION_STATE_DISABLED: WebhookSubscriptionState

class Event(_message.Message):
    __slots__ = ("id", "team_id", "type", "create_time", "cursor", "integration_id", "integration_created", "integration_reconnected", "integration_status_changed", "integration_deleted", "integration_duplicate_attempt", "channel_set", "channel_state_changed", "channel_cleared", "delivery_sent", "delivery_failed", "slack_interaction", "webhook_subscription_disabled")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    CURSOR_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_ID_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_CREATED_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_RECONNECTED_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_STATUS_CHANGED_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_DELETED_FIELD_NUMBER: _ClassVar[int]
    INTEGRATION_DUPLICATE_ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_SET_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_STATE_CHANGED_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_CLEARED_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_SENT_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_FAILED_FIELD_NUMBER: _ClassVar[int]
    SLACK_INTERACTION_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_SUBSCRIPTION_DISABLED_FIELD_NUMBER: _ClassVar[int]
    id: str
    team_id: str
    type: str
    create_time: _timestamp_pb2.Timestamp
    cursor: str
    integration_id: str
    integration_created: IntegrationCreated
    integration_reconnected: IntegrationReconnected
    integration_status_changed: IntegrationStatusChanged
    integration_deleted: IntegrationDeleted
    integration_duplicate_attempt: IntegrationDuplicateAttempt
    channel_set: ChannelSet
    channel_state_changed: ChannelStateChanged
    channel_cleared: ChannelCleared
    delivery_sent: DeliverySent
    delivery_failed: DeliveryFailed
    slack_interaction: SlackInteraction
    webhook_subscription_disabled: WebhookSubscriptionDisabled
    def __init__(self, id: _Optional[str] = ..., team_id: _Optional[str] = ..., type: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., cursor: _Optional[str] = ..., integration_id: _Optional[str] = ..., integration_created: _Optional[_Union[IntegrationCreated, _Mapping]] = ..., integration_reconnected: _Optional[_Union[IntegrationReconnected, _Mapping]] = ..., integration_status_changed: _Optional[_Union[IntegrationStatusChanged, _Mapping]] = ..., integration_deleted: _Optional[_Union[IntegrationDeleted, _Mapping]] = ..., integration_duplicate_attempt: _Optional[_Union[IntegrationDuplicateAttempt, _Mapping]] = ..., channel_set: _Optional[_Union[ChannelSet, _Mapping]] = ..., channel_state_changed: _Optional[_Union[ChannelStateChanged, _Mapping]] = ..., channel_cleared: _Optional[_Union[ChannelCleared, _Mapping]] = ..., delivery_sent: _Optional[_Union[DeliverySent, _Mapping]] = ..., delivery_failed: _Optional[_Union[DeliveryFailed, _Mapping]] = ..., slack_interaction: _Optional[_Union[SlackInteraction, _Mapping]] = ..., webhook_subscription_disabled: _Optional[_Union[WebhookSubscriptionDisabled, _Mapping]] = ...) -> None: ...

class IntegrationCreated(_message.Message):
    __slots__ = ("workspace_id", "workspace_name", "platform_name")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_NAME_FIELD_NUMBER: _ClassVar[int]
    PLATFORM_NAME_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    workspace_name: str
    platform_name: str
    def __init__(self, workspace_id: _Optional[str] = ..., workspace_name: _Optional[str] = ..., platform_name: _Optional[str] = ...) -> None: ...

class IntegrationReconnected(_message.Message):
    __slots__ = ("workspace_id", "reconnect_count")
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    RECONNECT_COUNT_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    reconnect_count: int
    def __init__(self, workspace_id: _Optional[str] = ..., reconnect_count: _Optional[int] = ...) -> None: ...

class IntegrationStatusChanged(_message.Message):
    __slots__ = ("to", "reason")
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    to: _resources_pb2.IntegrationStatus
    reason: str
    def __init__(self, to: _Optional[_Union[_resources_pb2.IntegrationStatus, str]] = ..., reason: _Optional[str] = ..., **kwargs) -> None: ...

class IntegrationDeleted(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class IntegrationDuplicateAttempt(_message.Message):
    __slots__ = ("workspace_id",)
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    workspace_id: str
    def __init__(self, workspace_id: _Optional[str] = ...) -> None: ...

class ChannelSet(_message.Message):
    __slots__ = ("channel_id", "channel_name")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_NAME_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    channel_name: str
    def __init__(self, channel_id: _Optional[str] = ..., channel_name: _Optional[str] = ...) -> None: ...

class ChannelStateChanged(_message.Message):
    __slots__ = ("channel_id", "channel_name", "to")
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_NAME_FIELD_NUMBER: _ClassVar[int]
    FROM_FIELD_NUMBER: _ClassVar[int]
    TO_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    channel_name: str
    to: _resources_pb2.ChannelState
    def __init__(self, channel_id: _Optional[str] = ..., channel_name: _Optional[str] = ..., to: _Optional[_Union[_resources_pb2.ChannelState, str]] = ..., **kwargs) -> None: ...

class ChannelCleared(_message.Message):
    __slots__ = ("channel_id",)
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    channel_id: str
    def __init__(self, channel_id: _Optional[str] = ...) -> None: ...

class DeliverySent(_message.Message):
    __slots__ = ("delivery_id", "internal_message_id", "channel_id", "slack_ts", "thread_ts", "permalink", "kind")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    SLACK_TS_FIELD_NUMBER: _ClassVar[int]
    THREAD_TS_FIELD_NUMBER: _ClassVar[int]
    PERMALINK_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    internal_message_id: str
    channel_id: str
    slack_ts: str
    thread_ts: str
    permalink: str
    kind: _messaging_service_pb2.DeliveryKind
    def __init__(self, delivery_id: _Optional[str] = ..., internal_message_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., slack_ts: _Optional[str] = ..., thread_ts: _Optional[str] = ..., permalink: _Optional[str] = ..., kind: _Optional[_Union[_messaging_service_pb2.DeliveryKind, str]] = ...) -> None: ...

class DeliveryFailed(_message.Message):
    __slots__ = ("delivery_id", "internal_message_id", "channel_id", "reason", "attempts", "kind")
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    delivery_id: str
    internal_message_id: str
    channel_id: str
    reason: str
    attempts: int
    kind: _messaging_service_pb2.DeliveryKind
    def __init__(self, delivery_id: _Optional[str] = ..., internal_message_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., reason: _Optional[str] = ..., attempts: _Optional[int] = ..., kind: _Optional[_Union[_messaging_service_pb2.DeliveryKind, str]] = ...) -> None: ...

class SlackInteraction(_message.Message):
    __slots__ = ("action_id", "block_id", "value", "user_id", "channel_id", "message_ts", "delivery_id", "internal_message_id", "workspace_id")
    ACTION_ID_FIELD_NUMBER: _ClassVar[int]
    BLOCK_ID_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CHANNEL_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_TS_FIELD_NUMBER: _ClassVar[int]
    DELIVERY_ID_FIELD_NUMBER: _ClassVar[int]
    INTERNAL_MESSAGE_ID_FIELD_NUMBER: _ClassVar[int]
    WORKSPACE_ID_FIELD_NUMBER: _ClassVar[int]
    action_id: str
    block_id: str
    value: str
    user_id: str
    channel_id: str
    message_ts: str
    delivery_id: str
    internal_message_id: str
    workspace_id: str
    def __init__(self, action_id: _Optional[str] = ..., block_id: _Optional[str] = ..., value: _Optional[str] = ..., user_id: _Optional[str] = ..., channel_id: _Optional[str] = ..., message_ts: _Optional[str] = ..., delivery_id: _Optional[str] = ..., internal_message_id: _Optional[str] = ..., workspace_id: _Optional[str] = ...) -> None: ...

class WebhookSubscriptionDisabled(_message.Message):
    __slots__ = ("subscription_id", "url", "last_error")
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    url: str
    last_error: str
    def __init__(self, subscription_id: _Optional[str] = ..., url: _Optional[str] = ..., last_error: _Optional[str] = ...) -> None: ...

class ListEventsRequest(_message.Message):
    __slots__ = ("team_id", "types", "page_size", "page_token")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    types: _containers.RepeatedScalarFieldContainer[str]
    page_size: int
    page_token: str
    def __init__(self, team_id: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEventsResponse(_message.Message):
    __slots__ = ("events", "next_page_token")
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    events: _containers.RepeatedCompositeFieldContainer[Event]
    next_page_token: str
    def __init__(self, events: _Optional[_Iterable[_Union[Event, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class StreamEventsRequest(_message.Message):
    __slots__ = ("team_id", "types", "after")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    TYPES_FIELD_NUMBER: _ClassVar[int]
    AFTER_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    types: _containers.RepeatedScalarFieldContainer[str]
    after: str
    def __init__(self, team_id: _Optional[str] = ..., types: _Optional[_Iterable[str]] = ..., after: _Optional[str] = ...) -> None: ...

class WebhookSubscription(_message.Message):
    __slots__ = ("id", "team_id", "url", "event_types", "state", "create_time", "update_time", "signing_secret", "last_error", "delivered_cursor")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    SIGNING_SECRET_FIELD_NUMBER: _ClassVar[int]
    LAST_ERROR_FIELD_NUMBER: _ClassVar[int]
    DELIVERED_CURSOR_FIELD_NUMBER: _ClassVar[int]
    id: str
    team_id: str
    url: str
    event_types: _containers.RepeatedScalarFieldContainer[str]
    state: WebhookSubscriptionState
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    signing_secret: str
    last_error: str
    delivered_cursor: str
    def __init__(self, id: _Optional[str] = ..., team_id: _Optional[str] = ..., url: _Optional[str] = ..., event_types: _Optional[_Iterable[str]] = ..., state: _Optional[_Union[WebhookSubscriptionState, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., signing_secret: _Optional[str] = ..., last_error: _Optional[str] = ..., delivered_cursor: _Optional[str] = ...) -> None: ...

class CreateWebhookSubscriptionRequest(_message.Message):
    __slots__ = ("subscription",)
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    subscription: WebhookSubscription
    def __init__(self, subscription: _Optional[_Union[WebhookSubscription, _Mapping]] = ...) -> None: ...

class GetWebhookSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class ListWebhookSubscriptionsRequest(_message.Message):
    __slots__ = ("team_id", "page_size", "page_token")
    TEAM_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    team_id: str
    page_size: int
    page_token: str
    def __init__(self, team_id: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListWebhookSubscriptionsResponse(_message.Message):
    __slots__ = ("subscriptions", "next_page_token")
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    subscriptions: _containers.RepeatedCompositeFieldContainer[WebhookSubscription]
    next_page_token: str
    def __init__(self, subscriptions: _Optional[_Iterable[_Union[WebhookSubscription, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class UpdateWebhookSubscriptionRequest(_message.Message):
    __slots__ = ("subscription", "update_mask")
    SUBSCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    subscription: WebhookSubscription
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, subscription: _Optional[_Union[WebhookSubscription, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ...) -> None: ...

class DeleteWebhookSubscriptionRequest(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...

class RotateWebhookSecretRequest(_message.Message):
    __slots__ = ("subscription_id",)
    SUBSCRIPTION_ID_FIELD_NUMBER: _ClassVar[int]
    subscription_id: str
    def __init__(self, subscription_id: _Optional[str] = ...) -> None: ...
