import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, errors, Pool } from 'undici';
import type { z } from 'zod';
import { callBudget, currentDeadline, type RequestDeadline, remainingMs } from './deadline.js';
import { UpstreamError, type UpstreamFailureKind, UpstreamTimeoutError } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';
import type { UpstreamConfig } from './upstream-config.js';

/**
 * The upstream's configuration block (`url` is the base URL: origin plus optional base path, e.g.
 * `https://collectionapi.metmuseum.org`), plus what is not configuration. `retries` applies to GETs and to POSTs
 * that declare themselves idempotent; `timeoutMs` bounds one attempt, from sending the request to the last byte of
 * the body.
 */
export interface UpstreamClientOptions extends UpstreamConfig {
  /** Human-readable upstream name, used in error messages, logs and metric labels. */
  name: string;
  userAgent: string;
  /** Client-side request budget (default 0 = unlimited). */
  maxRequestsPerSecond?: number | undefined;
  /** Opt-in rule for an upstream with a bot wall (the Met): without it, a 403 HTML page is an ordinary status error. */
  refusalCooldown?: RefusalCooldown | undefined;
  metrics?: ServiceMetrics | undefined;
  /** Replaces the connection pool; tests pass undici's MockAgent. */
  dispatcher?: Dispatcher | undefined;
  /** Injectable randomness for the retry jitter. */
  random?: (() => number) | undefined;
}

/**
 * When the upstream answers HTTP 403 with an HTML page (a bot-protection wall), the call fails with
 * `bot_protection` and every call for `cooldownMs` after it fails fast with `backing_off`, instead of hammering it.
 */
export interface RefusalCooldown {
  cooldownMs: number;
}

export type QueryParameters = ReadonlyArray<readonly [string, string]>;

/** What every call says: its metrics name, where it goes, and what a good answer looks like. */
export interface UpstreamCallOptions<Schema extends z.ZodType> {
  /** Stable endpoint name for metrics (`search`, `object`), never the raw path. */
  endpoint: string;
  /** Query parameters in the order they are sent (some upstreams answer differently to another order). */
  query?: QueryParameters | undefined;
  /** Zod schema of a successful body. */
  schema: Schema;
  /** Non-2xx statuses the caller handles itself (e.g. 404), returned instead of thrown. */
  passThroughStatuses?: readonly number[] | undefined;
}

export type GetJsonOptions<Schema extends z.ZodType> = UpstreamCallOptions<Schema>;

export interface PostJsonOptions<Schema extends z.ZodType> extends UpstreamCallOptions<Schema> {
  /** An object or array, serialised once with `JSON.stringify`, or a string sent as it is (already JSON). */
  body: object | string;
  /**
   * The call is safe to repeat (e.g. scoring): retried like a GET after a 5xx answer or a dropped connection.
   * Without it a POST is sent once.
   */
  idempotent?: boolean | undefined;
}

export type UpstreamResponse<T> = { ok: true; status: number; data: T } | { ok: false; status: number; body: unknown };

/** One request as the attempt loop sends it; the body is serialised before the first attempt. */
interface OutgoingRequest {
  method: 'GET' | 'POST';
  /** Path and query. */
  target: string;
  headers: Record<string, string>;
  body?: string | undefined;
  retryable: boolean;
}

/**
 * One upstream's HTTP client: a keep-alive connection pool with connect and total timeouts, a retry for
 * idempotent calls, a request budget, and every failure turned into a typed `UpstreamError` or
 * `UpstreamTimeoutError` so no raw network error or HTML page reaches a caller.
 */
export class UpstreamClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly limiter: RateLimiter;
  private readonly origin: string;
  /** Path prefix of the base URL, without a trailing slash. */
  private readonly basePath: string;
  private readonly random: () => number;
  private readonly getHeaders: Record<string, string>;
  private readonly postHeaders: Record<string, string>;
  private refusedUntil = 0;

  constructor(private readonly options: UpstreamClientOptions) {
    const base = new URL(options.url);
    this.origin = base.origin;
    this.basePath = base.pathname.replace(/\/+$/, '');
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Pool(this.origin, {
        connections: options.maxConnections,
        connect: { timeout: options.connectTimeoutMs },
        keepAliveTimeout: 10_000,
        pipelining: 1,
        // undici refuses a larger body as it streams in (and at once when Content-Length says so), so a runaway
        // answer costs at most this much memory.
        maxResponseSize: options.maxResponseBytes,
      });
    this.limiter = new RateLimiter(options.maxRequestsPerSecond ?? 0);
    this.random = options.random ?? Math.random;
    this.getHeaders = { accept: 'application/json', 'user-agent': options.userAgent };
    this.postHeaders = { ...this.getHeaders, 'content-type': 'application/json' };
  }

  get name(): string {
    return this.options.name;
  }

  /** Builds the absolute URL for a path relative to the base URL, with the query in the given order. */
  url(path: string, query: QueryParameters = []): URL {
    return new URL(this.origin + this.requestPath(path, query));
  }

  /**
   * The request target (path and query) for a path relative to the base URL, built as a string because it runs
   * on every upstream call (and callers use it as a cache key), where parsing a URL object each time is wasted work.
   */
  requestPath(path: string, query: QueryParameters = []): string {
    const target = `${this.basePath}/${path.replace(/^\/+/, '')}`;
    return query.length === 0 ? target : `${target}?${new URLSearchParams(query as [string, string][]).toString()}`;
  }

  /**
   * GETs a JSON document and validates it; retried after a 5xx answer or a dropped connection.
   *
   * @throws UpstreamTimeoutError when an attempt exceeds the connect or total timeout.
   * @throws UpstreamError for 5xx (after retries), other unexpected statuses, bot-protection pages,
   *   bodies that are not JSON or do not match the schema, and dropped or refused connections.
   */
  async getJson<Schema extends z.ZodType>(
    path: string,
    options: GetJsonOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    const target = this.requestPath(path, options.query);
    return this.call({ method: 'GET', target, headers: this.getHeaders, retryable: true }, options);
  }

  /**
   * POSTs a JSON body and validates the JSON answer. Sent once unless the call is declared `idempotent`, then
   * retried as a GET is; otherwise it fails exactly as `getJson` does.
   *
   * @throws UpstreamTimeoutError | UpstreamError as `getJson`.
   */
  async postJson<Schema extends z.ZodType>(
    path: string,
    options: PostJsonOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    return this.call(
      {
        method: 'POST',
        target: this.requestPath(path, options.query),
        headers: this.postHeaders,
        body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
        retryable: options.idempotent === true,
      },
      options,
    );
  }

  /** Closes the connection pool (in-flight requests finish first). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** One call, with its retries, recorded as one duration labelled by endpoint and outcome. */
  private async call<Schema extends z.ZodType>(
    request: OutgoingRequest,
    options: UpstreamCallOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    const started = performance.now();
    let outcome = 'ok';
    try {
      const response = await this.withRetry(request, options);
      if (!response.ok) outcome = `http_${response.status}`;
      return response;
    } catch (error) {
      outcome = error instanceof UpstreamTimeoutError ? 'timeout' : ((error as UpstreamError).kind ?? 'error');
      throw error;
    } finally {
      this.options.metrics?.upstreamRequestDuration.observe(
        { upstream: this.options.name, endpoint: options.endpoint, outcome },
        (performance.now() - started) / 1000,
      );
    }
  }

  private async withRetry<Schema extends z.ZodType>(
    request: OutgoingRequest,
    options: UpstreamCallOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(request, options);
      } catch (error) {
        if (!request.retryable || !isRetryable(error) || attempt >= this.options.retries) throw error;
        const delay = this.options.retryBaseDelayMs * 2 ** attempt * (0.5 + this.random());
        // A retry that could not finish before the request's deadline only delays the answer the caller gets now.
        const deadline = currentDeadline();
        if (deadline !== undefined && remainingMs(deadline) <= delay) throw error;
        await sleep(delay);
      }
    }
  }

  private async attempt<Schema extends z.ZodType>(
    request: OutgoingRequest,
    options: UpstreamCallOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    const { name, refusalCooldown } = this.options;
    const waitMs = this.refusedUntil - Date.now();
    if (waitMs > 0) {
      throw new UpstreamError(
        name,
        'backing_off',
        `${name} refused recent requests with its bot protection; not calling it again for ${Math.ceil(waitMs / 1000)} s.`,
      );
    }
    if (this.limiter.limited) await this.waitForTurn();
    const { budgetMs, deadline } = callBudget(this.options.timeoutMs);
    if (deadline !== undefined && budgetMs <= 0) throw deadlineError(name, deadline);

    // One timer bounds the whole attempt (connect, headers and body). A plain timer, cleared when the attempt
    // ends, is much cheaper per request than AbortSignal.timeout, whose timers are only reclaimed by the GC.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), budgetMs);
    let statusCode: number;
    let contentType: string;
    let text: string;
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: request.target,
        method: request.method,
        body: request.body,
        signal: controller.signal,
        headers: request.headers,
        headersTimeout: budgetMs,
        bodyTimeout: budgetMs,
      });
      statusCode = response.statusCode;
      contentType = String(response.headers['content-type'] ?? '');
      text = await response.body.text();
    } catch (error) {
      throw this.networkError(error, controller.signal, deadline);
    } finally {
      clearTimeout(timer);
    }

    if (refusalCooldown !== undefined && statusCode === 403 && contentType.includes('html')) {
      this.refusedUntil = Date.now() + refusalCooldown.cooldownMs;
      throw new UpstreamError(
        name,
        'bot_protection',
        `${name} refused the request with a bot-protection page (HTTP 403); try again later.`,
        { upstreamStatus: statusCode },
      );
    }
    const passThrough = options.passThroughStatuses?.includes(statusCode) ?? false;
    if ((statusCode < 200 || statusCode >= 300) && !passThrough) {
      throw new UpstreamError(name, 'status', `${name} answered HTTP ${statusCode}.`, { upstreamStatus: statusCode });
    }

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      if (passThrough) return { ok: false, status: statusCode, body: text };
      throw new UpstreamError(name, 'malformed_body', `${name} answered with a body that is not valid JSON.`, {
        cause: error,
        upstreamStatus: statusCode,
      });
    }
    if (passThrough) return { ok: false, status: statusCode, body };

    const parsed = options.schema.safeParse(body);
    if (!parsed.success) {
      const first = parsed.error.issues[0];
      const where = first && first.path.length > 0 ? ` at ${first.path.join('.')}` : '';
      throw new UpstreamError(
        name,
        'unexpected_shape',
        `${name} answered with JSON of an unexpected shape${where}: ${first?.message ?? 'invalid'}.`,
        { cause: parsed.error, upstreamStatus: statusCode },
      );
    }
    return { ok: true, status: statusCode, data: parsed.data };
  }

  /** Waits for the request budget, but not past the request's deadline. */
  private async waitForTurn(): Promise<void> {
    const deadline = currentDeadline();
    if (deadline === undefined) return this.limiter.acquire();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(deadlineError(this.options.name, deadline)), Math.max(0, remainingMs(deadline)));
    });
    try {
      await Promise.race([this.limiter.acquire(), expired]);
    } finally {
      clearTimeout(timer);
    }
  }

  private networkError(error: unknown, signal: AbortSignal, deadline: RequestDeadline | undefined): Error {
    const { name, timeoutMs, connectTimeoutMs, maxResponseBytes } = this.options;
    if (
      signal.aborted ||
      error instanceof errors.HeadersTimeoutError ||
      error instanceof errors.BodyTimeoutError ||
      (error instanceof Error && error.name === 'TimeoutError')
    ) {
      return deadline !== undefined
        ? deadlineError(name, deadline, error)
        : new UpstreamTimeoutError(name, timeoutMs, { cause: error });
    }
    if (error instanceof errors.ResponseExceededMaxSizeError) {
      return new UpstreamError(name, 'too_large', `${name} answered with more than ${maxResponseBytes} bytes.`, {
        cause: error,
      });
    }
    if (error instanceof errors.ConnectTimeoutError) {
      return new UpstreamTimeoutError(name, connectTimeoutMs, { cause: error });
    }
    const code = errorCode(error);
    if (code === 'ECONNREFUSED') {
      return new ConnectionError(name, 'refused', `${name} refused the connection.`, code, { cause: error });
    }
    const reason = code === 'ENOTFOUND' || code === 'EAI_AGAIN' ? 'could not be resolved' : 'dropped the connection';
    return new ConnectionError(name, 'connection', `${name} ${reason}.`, code, { cause: error });
  }
}

function deadlineError(upstream: string, deadline: RequestDeadline, cause?: unknown): UpstreamTimeoutError {
  return new UpstreamTimeoutError(upstream, deadline.budgetMs, { cause, requestDeadline: true });
}

/** A dropped connection is worth one retry; a refused or unresolvable one is not. */
class ConnectionError extends UpstreamError {
  constructor(
    upstream: string,
    kind: UpstreamFailureKind,
    message: string,
    readonly networkCode: string | undefined,
    options?: ErrorOptions,
  ) {
    super(upstream, kind, message, options);
  }
}

function isRetryable(error: unknown): boolean {
  if (error instanceof ConnectionError) {
    return error.kind === 'connection' && error.networkCode !== 'ENOTFOUND' && error.networkCode !== 'EAI_AGAIN';
  }
  return error instanceof UpstreamError && error.kind === 'status' && (error.upstreamStatus ?? 0) >= 500;
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  // undici wraps socket errors; the OS code (ECONNRESET, ECONNREFUSED) may sit one or two causes down.
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('E')) return code;
    current = current.cause;
  }
  return (error as { code?: string } | undefined)?.code;
}
