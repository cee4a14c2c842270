// @switchboard/sdk: the generated switchboard.v1 stubs (protoc-gen-es, served by Connect's
// gRPC transport) and a thin layer over them.
export {
  createSwitchboardClient,
  defaultRetryPolicy,
  type RetryPolicy,
  type SwitchboardClient,
  type SwitchboardClientOptions,
} from "./client.js";
export { type FieldViolation, SwitchboardError } from "./errors.js";
export { EventStream, type EventStreamOptions, eventCursorExpired } from "./events.js";
export { allChannels, allDeliveries, allIntegrations } from "./paging.js";
export { WebhookVerificationError, WebhookVerifier } from "./webhooks.js";
export { Code, ConnectError, type CallOptions } from "@connectrpc/connect";
export * from "./gen/switchboard/v1/channel_service_pb.js";
export * from "./gen/switchboard/v1/errors_pb.js";
export * from "./gen/switchboard/v1/event_service_pb.js";
export * from "./gen/switchboard/v1/integration_service_pb.js";
export * from "./gen/switchboard/v1/messaging_service_pb.js";
export * from "./gen/switchboard/v1/monitoring_service_pb.js";
export * from "./gen/switchboard/v1/resources_pb.js";
