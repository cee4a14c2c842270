import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { setTimeout as sleep } from "node:timers/promises";
import { SwitchboardError } from "./errors.js";
import type { Event, EventService } from "./gen/switchboard/v1/event_service_pb.js";

/** OUT_OF_RANGE's reason when the cursor is older than the retained log. */
export const eventCursorExpired = "EVENT_CURSOR_EXPIRED";

export interface EventStreamOptions {
  /** Whose events (a team JWT: its own; empty: its team, or every team for a service key). */
  teamId?: string;
  /** Event type names, e.g. "delivery.sent"; empty: all. */
  types?: string[];
  /** Start after this cursor (an earlier Event's `cursor`); empty: every retained event. */
  after?: string;
  /** Pause before the first reconnect in a row (200 ms), doubling to maxBackoffMs (5 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Reconnects in a row that may fail before the stream gives up; 0 (default): never. */
  maxFailures?: number;
  /** Aborting it ends the iteration. */
  signal?: AbortSignal;
}

// A dropped connection or a restarting service. The other codes say something about the
// request (a bad or expired cursor, another team, no credential) that a retry would not
// change. A lost stream shows as CANCELED or ABORTED in Connect when not cancelled by us.
const reconnectable = new Set([
  Code.Unavailable,
  Code.Internal,
  Code.Unknown,
  Code.Aborted,
  Code.Canceled,
  Code.ResourceExhausted,
  Code.DeadlineExceeded,
]);

/**
 * StreamEvents followed across dropped connections: iterating yields the events in log
 * order and follows new ones. `cursor` is the last yielded event's cursor; when the stream
 * drops, it reconnects with backoff (jittered, reset by each event) passing `after: cursor`,
 * so nothing is missed or repeated. Errors a retry cannot cure (INVALID_ARGUMENT,
 * PERMISSION_DENIED, UNAUTHENTICATED, UNIMPLEMENTED, OUT_OF_RANGE with reason
 * `eventCursorExpired`) are thrown as SwitchboardError.
 */
export class EventStream implements AsyncIterable<Event> {
  /** The cursor to resume from: the last event's, or `after`. */
  cursor: string;

  constructor(
    private readonly client: Pick<Client<typeof EventService>, "streamEvents">,
    private readonly options: EventStreamOptions = {},
  ) {
    this.cursor = options.after ?? "";
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Event> {
    const { initialBackoffMs = 200, maxBackoffMs = 5000, maxFailures = 0, signal } = this.options;
    let backoff = initialBackoffMs;
    let failures = 0;
    for (;;) {
      const call = new AbortController();
      const ended = () => call.abort();
      signal?.addEventListener("abort", ended);
      let error: SwitchboardError;
      try {
        const events = this.client.streamEvents(
          { teamId: this.options.teamId ?? "", types: this.options.types ?? [], after: this.cursor },
          // No deadline: the stream follows until it is stopped.
          { signal: call.signal, timeoutMs: 0 },
        );
        for await (const event of events) {
          backoff = initialBackoffMs;
          failures = 0;
          this.cursor = event.cursor;
          yield event;
        }
        // The service ended a stream that follows forever (a shutdown): resume.
        error = new SwitchboardError(new ConnectError("event stream ended by the service", Code.Unavailable));
      } catch (e) {
        if (signal?.aborted) return;
        error = SwitchboardError.from(e);
        if (!reconnectable.has(error.code)) throw error;
      } finally {
        signal?.removeEventListener("abort", ended);
        call.abort(); // ends the call when the consumer stopped early
      }
      failures++;
      if (maxFailures > 0 && failures > maxFailures) throw error;
      try {
        await sleep(backoff * (0.5 + Math.random() / 2), undefined, { signal });
      } catch {
        return; // aborted while waiting
      }
      backoff = Math.min(2 * backoff, maxBackoffMs);
    }
  }
}
