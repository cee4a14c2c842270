import { ConnectError, type Code } from "@connectrpc/connect";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  RetryInfoSchema,
} from "./gen/google/rpc/error_details_pb.js";
import { type ReconnectDetails, ReconnectDetailsSchema } from "./gen/switchboard/v1/errors_pb.js";

/** One invalid field of a request, from the google.rpc.BadRequest detail. */
export interface FieldViolation {
  field: string;
  description: string;
}

/**
 * A failed call with the details the service put in `grpc-status-details-bin` (a
 * google.rpc.Status) decoded. Every switchboard error carries an ErrorInfo; the other
 * details come with some errors only.
 *
 *     } catch (e) {
 *       const { reconnect } = SwitchboardError.from(e);
 *       if (reconnect) await client.integrations.reconnectIntegration({ ... });
 */
export class SwitchboardError extends Error {
  override name = "SwitchboardError";
  /** The gRPC status code (Connect's Code enum, e.g. Code.AlreadyExists). */
  readonly code: Code;
  /** ErrorInfo.reason, e.g. "INTEGRATION_ALREADY_EXISTS"; "" when there is none. */
  readonly reason: string;
  /** ErrorInfo.domain ("switchboard"); "" when there is none. */
  readonly domain: string;
  /** ErrorInfo.metadata, e.g. { integration_id, team_id, workspace_id }. */
  readonly metadata: Readonly<Record<string, string>>;
  /** BadRequest field violations (INVALID_ARGUMENT). */
  readonly fieldViolations: readonly FieldViolation[];
  /** RetryInfo.retry_delay in milliseconds, when the service said when to try again. */
  readonly retryDelayMs: number | undefined;
  /** ReconnectDetails (ALREADY_EXISTS of CompleteSlackOAuth): apply its reconnect_token. */
  readonly reconnect: ReconnectDetails | undefined;
  /** The ConnectError this was decoded from (response headers and trailers included). */
  override readonly cause: ConnectError;

  /**
   * Decodes any error a client call threw. A SwitchboardError is returned as it is; an
   * error that is not a ConnectError becomes one as Connect does (code UNKNOWN).
   */
  static from(err: unknown): SwitchboardError {
    return err instanceof SwitchboardError ? err : new SwitchboardError(ConnectError.from(err));
  }

  constructor(cause: ConnectError) {
    // rawMessage: the service's own text, without Connect's "[code]" prefix.
    super(cause.rawMessage, { cause });
    this.cause = cause;
    this.code = cause.code;
    const [info] = cause.findDetails(ErrorInfoSchema);
    this.reason = info?.reason ?? "";
    this.domain = info?.domain ?? "";
    this.metadata = info?.metadata ?? {};
    this.fieldViolations = cause
      .findDetails(BadRequestSchema)
      .flatMap((badRequest) => badRequest.fieldViolations)
      .map(({ field, description }) => ({ field, description }));
    const delay = cause.findDetails(RetryInfoSchema)[0]?.retryDelay;
    this.retryDelayMs =
      delay === undefined ? undefined : Number(delay.seconds) * 1000 + Math.round(delay.nanos / 1e6);
    this.reconnect = cause.findDetails(ReconnectDetailsSchema)[0];
  }
}
