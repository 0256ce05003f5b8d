/**
 * Domain errors shared by every service. Services throw these instead of generic errors, and one error
 * handler (see `error-handler.ts`) turns them into HTTP responses, so the status code of a failure is decided
 * in exactly one place.
 */
export abstract class ServiceError extends Error {
  abstract readonly statusCode: number;
  /** Short machine-readable kind, logged and exposed as a metric label. */
  abstract readonly code: string;

  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The thing asked for does not exist (HTTP 404). */
export class NotFoundError extends ServiceError {
  readonly statusCode = 404;
  readonly code = 'not_found';
}

/**
 * The caller's input is well-formed but unusable (HTTP 422). Reported as pydantic reports it: a `value_error` as
 * `Value error, <message>` with `ctx: {"error": {}}`, as a validator's `ValueError` is; `input` is the refused value.
 */
export class InvalidInputError extends ServiceError {
  readonly statusCode = 422;
  readonly code = 'invalid_input';

  constructor(
    readonly location: readonly (string | number)[],
    message: string,
    readonly type = 'value_error',
    readonly input: unknown = null,
  ) {
    super(message);
  }
}

/** Why an upstream call failed; each kind has its own explanation for the caller. */
export type UpstreamFailureKind =
  | 'status'
  | 'bot_protection'
  | 'malformed_body'
  | 'unexpected_shape'
  /** The connection dropped, or the host name could not be resolved. */
  | 'connection'
  /** Nothing listens at the upstream's address (ECONNREFUSED): it is down or not started yet. */
  | 'refused'
  | 'backing_off'
  /** The answer was larger than the client reads (`maxResponseBytes`). */
  | 'too_large';

/** An upstream answered badly or not at all (HTTP 502). */
export class UpstreamError extends ServiceError {
  readonly statusCode = 502;
  readonly code = 'upstream_error';

  constructor(
    readonly upstream: string,
    readonly kind: UpstreamFailureKind,
    message: string,
    options?: ErrorOptions & { upstreamStatus?: number },
  ) {
    super(message, options);
    this.upstreamStatus = options?.upstreamStatus;
  }

  readonly upstreamStatus: number | undefined;
}

/**
 * An upstream did not answer within its timeout, or within what was left of the request's deadline (HTTP 504).
 * With `requestDeadline`, `timeoutMs` is the request's whole budget and the message says so.
 */
export class UpstreamTimeoutError extends ServiceError {
  readonly statusCode = 504;
  readonly code = 'upstream_timeout';

  constructor(
    readonly upstream: string,
    readonly timeoutMs: number,
    options?: ErrorOptions & { requestDeadline?: boolean },
  ) {
    super(
      options?.requestDeadline
        ? `${upstream} did not answer within the request's deadline of ${timeoutMs} ms.`
        : upstreamTimeoutMessage(upstream, timeoutMs),
      options,
    );
  }
}

/** The message of an `UpstreamTimeoutError`, also shown as the example of documented 504 answers. */
export function upstreamTimeoutMessage(upstream: string, timeoutMs: number): string {
  return `${upstream} did not answer within ${timeoutMs} ms.`;
}

/** The service cannot take requests right now, e.g. while shutting down (HTTP 503). */
export class UnavailableError extends ServiceError {
  readonly statusCode = 503;
  readonly code = 'unavailable';
}
