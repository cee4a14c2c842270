import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { isMessage, type Message } from "@bufbuild/protobuf";
import { Code, type Client, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { SwitchboardError } from "./errors.js";
import { ChannelService } from "./gen/switchboard/v1/channel_service_pb.js";
import { EventService } from "./gen/switchboard/v1/event_service_pb.js";
import {
  IntegrationService,
  ReconnectIntegrationRequestSchema,
} from "./gen/switchboard/v1/integration_service_pb.js";
import {
  BatchSendMessagesRequestSchema,
  DeleteMessageRequestSchema,
  MessagingService,
  ReplyToMessageRequestSchema,
  type SendMessageRequest,
  SendMessageRequestSchema,
  UpdateMessageRequestSchema,
} from "./gen/switchboard/v1/messaging_service_pb.js";
import { MonitoringService } from "./gen/switchboard/v1/monitoring_service_pb.js";

/** Retries of calls that answered UNAVAILABLE, with exponential backoff and jitter. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** The pause before the second attempt; each later pause is `multiplier` times longer. */
  initialBackoffMs: number;
  /** The longest pause. */
  maxBackoffMs: number;
  multiplier: number;
}

export const defaultRetryPolicy: Readonly<RetryPolicy> = {
  maxAttempts: 5,
  initialBackoffMs: 200,
  maxBackoffMs: 5_000,
  multiplier: 2,
};

export interface SwitchboardClientOptions {
  /** "host:port", or a URL ("https://host:port", "http://host:port") whose scheme decides TLS. */
  address: string;
  /** A service key or a team token (JWT): sent as `authorization: Bearer <credential>`. */
  credential: string;
  /** TLS with the system's root certificates (the default); false for plaintext. */
  tls?: boolean;
  /** PEM root certificate(s) to trust instead of the system's (implies TLS). */
  ca?: string | Buffer;
  /** The deadline of a call that sets no `timeoutMs` of its own (30 000). */
  timeoutMs?: number;
  /** Changes to defaultRetryPolicy, or false for no retries. */
  retry?: Partial<RetryPolicy> | false;
  /** More interceptors (tracing, logging), run for each attempt after the SDK's own. */
  interceptors?: Interceptor[];
}

/** The generated service clients, sharing one HTTP/2 connection. */
export interface SwitchboardClient {
  integrations: Client<typeof IntegrationService>;
  channels: Client<typeof ChannelService>;
  messaging: Client<typeof MessagingService>;
  monitoring: Client<typeof MonitoringService>;
  events: Client<typeof EventService>;
}

export function createSwitchboardClient(options: SwitchboardClientOptions): SwitchboardClient {
  const retry = options.retry === false ? [] : [retrying({ ...defaultRetryPolicy, ...options.retry })];
  const transport = createGrpcTransport({
    baseUrl: baseUrl(options),
    nodeOptions: options.ca === undefined ? undefined : { ca: options.ca },
    defaultTimeoutMs: options.timeoutMs ?? 30_000,
    // The first is the outermost: ids are filled once for all attempts, and the
    // credential and the caller's interceptors see every attempt.
    interceptors: [
      fillingIds,
      ...retry,
      lostStreamsUnavailable,
      bearer(options.credential),
      ...(options.interceptors ?? []),
    ],
  });
  return {
    integrations: createClient(IntegrationService, transport),
    channels: createClient(ChannelService, transport),
    messaging: createClient(MessagingService, transport),
    monitoring: createClient(MonitoringService, transport),
    events: createClient(EventService, transport),
  };
}

function baseUrl({ address, tls, ca }: SwitchboardClientOptions): string {
  if (/^https?:\/\//.test(address)) return address;
  if (tls === false && ca !== undefined) throw new Error("switchboard: `ca` needs TLS, but `tls` is false");
  return `${tls === false ? "http" : "https"}://${address}`;
}

function bearer(credential: string): Interceptor {
  return (next) => (req) => {
    req.header.set("authorization", `Bearer ${credential}`);
    return next(req);
  };
}

// The service deduplicates sends on internal_message_id and the other mutations on
// request_id (AIP-155). Filling the missing ones here, once, before the first attempt, is
// what makes a retry safe: every attempt of a call carries the same ids, so an attempt whose
// answer was lost is answered again instead of being done twice. The caller's request
// object is copied, never changed.
const fillingIds: Interceptor = (next) => (req) =>
  next(req.stream ? req : { ...req, message: withIds(req.message) });

function withIds(m: Message): Message {
  if (isMessage(m, SendMessageRequestSchema) || isMessage(m, ReplyToMessageRequestSchema)) {
    return m.internalMessageId ? m : copyWith(m, { internalMessageId: randomUUID() });
  }
  if (isMessage(m, BatchSendMessagesRequestSchema)) {
    return copyWith(m, {
      requests: m.requests.map((item) => withIds(item) as SendMessageRequest),
      requestId: m.requestId ?? randomUUID(),
    });
  }
  if (
    isMessage(m, ReconnectIntegrationRequestSchema) ||
    isMessage(m, UpdateMessageRequestSchema) ||
    isMessage(m, DeleteMessageRequestSchema)
  ) {
    return m.requestId !== undefined ? m : copyWith(m, { requestId: randomUUID() });
  }
  return m;
}

function copyWith<T extends Message>(message: T, changes: Partial<T>): T {
  return { ...message, ...changes };
}

// A call whose connection broke (the service was killed, a proxy dropped it) ends with an
// HTTP/2 CANCEL or a reset, which Connect reports as CANCELED or ABORTED. For gRPC that is
// UNAVAILABLE: the call may or may not have been done, and may be tried again. Errors the
// service sent (wire errors) and the caller's own cancellations keep their code.
const lostStreamsUnavailable: Interceptor = (next) => async (req) => {
  try {
    return await next(req);
  } catch (e) {
    if (
      e instanceof ConnectError &&
      !e.isWireError &&
      !req.signal.aborted &&
      (e.code === Code.Canceled || e.code === Code.Aborted)
    ) {
      throw new ConnectError(e.rawMessage, Code.Unavailable, e.metadata, undefined, e);
    }
    throw e;
  }
};

// UNAVAILABLE only: the one code that says the call may not have been done and may be tried
// again as it is. A pause never reaches past the call's deadline, and is never shorter than
// the RetryInfo delay the service asked for.
function retrying(policy: RetryPolicy): Interceptor {
  return (next) => async (req) => {
    if (req.stream) return next(req);
    // The transport has turned the call's deadline into grpc-timeout ("<ms>m") already.
    const timeout = req.header.get("grpc-timeout");
    const deadline = timeout === null ? Infinity : Date.now() + parseInt(timeout, 10);
    let backoff = policy.initialBackoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await next(req);
      } catch (e) {
        const err = SwitchboardError.from(e);
        if (err.code !== Code.Unavailable || attempt >= policy.maxAttempts) throw e;
        // "Equal jitter": between half and all of the backoff, so that clients failed by
        // the same outage do not come back in step, yet none comes back at once.
        const pause = Math.max(err.retryDelayMs ?? 0, backoff * (0.5 + Math.random() / 2));
        if (Date.now() + pause >= deadline) throw e;
        await sleep(pause, undefined, { signal: req.signal });
        backoff = Math.min(backoff * policy.multiplier, policy.maxBackoffMs);
        // The next attempt gets what is left of the deadline, not a fresh one.
        if (deadline !== Infinity) req.header.set("grpc-timeout", `${Math.ceil(deadline - Date.now())}m`);
      }
    }
  };
}
