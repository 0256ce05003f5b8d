import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, errors, Pool } from 'undici';
import type { z } from 'zod';
import { UpstreamError, type UpstreamFailureKind, UpstreamTimeoutError } from './errors.js';
import type { ServiceMetrics } from './metrics.js';
import { RateLimiter } from './rate-limiter.js';

export interface UpstreamClientOptions {
  /** Human-readable upstream name, used in error messages, logs and metric labels. */
  name: string;
  /** Origin plus optional base path, e.g. `https://collectionapi.metmuseum.org/public/collection/v1`. */
  baseUrl: string;
  connectTimeoutMs: number;
  /** Upper bound for one attempt, from sending the request to the last byte of the body. */
  timeoutMs: number;
  /** Extra attempts for idempotent GETs after a 5xx answer or a dropped connection. */
  retries: number;
  /** First back-off delay; each retry doubles it, with ±50 % jitter so clients do not retry in lock-step. */
  retryBaseDelayMs: number;
  /** Keep-alive connections in this upstream's pool. */
  maxConnections: number;
  /** Client-side request budget (0 = unlimited). */
  maxRequestsPerSecond: number;
  /** After the upstream refuses us with a bot-protection page, fail fast for this long instead of hammering it. */
  refusalCooldownMs: number;
  userAgent: string;
  metrics?: ServiceMetrics | undefined;
  /** Replaces the connection pool; tests pass undici's MockAgent. */
  dispatcher?: Dispatcher | undefined;
  /** Injectable randomness for the retry jitter. */
  random?: () => number;
}

export type QueryParameters = ReadonlyArray<readonly [string, string]>;

export interface GetJsonOptions<Schema extends z.ZodType> {
  /** Stable endpoint name for metrics (`search`, `object`), never the raw path. */
  endpoint: string;
  /** Query parameters in the order they are sent (some upstreams answer differently to another order). */
  query?: QueryParameters | undefined;
  /** Zod schema of a successful body. */
  schema: Schema;
  /** Non-2xx statuses the caller handles itself (e.g. 404), returned instead of thrown. */
  passThroughStatuses?: readonly number[] | undefined;
}

export type UpstreamResponse<T> = { ok: true; status: number; data: T } | { ok: false; status: number; body: unknown };

/**
 * One upstream's HTTP client: a keep-alive connection pool with connect and total timeouts, a retry for
 * idempotent GETs, a request budget, and every failure turned into a typed `UpstreamError` or
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
  private refusedUntil = 0;

  constructor(private readonly options: UpstreamClientOptions) {
    const base = new URL(options.baseUrl);
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
      });
    this.limiter = new RateLimiter(options.maxRequestsPerSecond);
    this.random = options.random ?? Math.random;
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
   * GETs a JSON document and validates it.
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
    const started = performance.now();
    let outcome = 'ok';
    try {
      const response = await this.getWithRetry(target, options);
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

  /** Closes the connection pool (in-flight requests finish first). */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async getWithRetry<Schema extends z.ZodType>(
    target: string,
    options: GetJsonOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(target, options);
      } catch (error) {
        if (!isRetryable(error) || attempt >= this.options.retries) throw error;
        const delay = this.options.retryBaseDelayMs * 2 ** attempt * (0.5 + this.random());
        await sleep(delay);
      }
    }
  }

  private async attempt<Schema extends z.ZodType>(
    target: string,
    options: GetJsonOptions<Schema>,
  ): Promise<UpstreamResponse<z.infer<Schema>>> {
    const { name } = this.options;
    const waitMs = this.refusedUntil - Date.now();
    if (waitMs > 0) {
      throw new UpstreamError(
        name,
        'backing_off',
        `${name} refused recent requests with its bot protection; not calling it again for ${Math.ceil(waitMs / 1000)} s.`,
      );
    }
    await this.limiter.acquire();

    // One timer bounds the whole attempt (connect, headers and body). A plain timer, cleared when the attempt
    // ends, is much cheaper per request than AbortSignal.timeout, whose timers are only reclaimed by the GC.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    let statusCode: number;
    let contentType: string;
    let text: string;
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: target,
        method: 'GET',
        signal: controller.signal,
        headers: { accept: 'application/json', 'user-agent': this.options.userAgent },
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      });
      statusCode = response.statusCode;
      contentType = String(response.headers['content-type'] ?? '');
      text = await response.body.text();
    } catch (error) {
      throw this.networkError(error, controller.signal);
    } finally {
      clearTimeout(timer);
    }

    if (statusCode === 403 && contentType.includes('html')) {
      this.refusedUntil = Date.now() + this.options.refusalCooldownMs;
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

  private networkError(error: unknown, signal: AbortSignal): Error {
    const { name, timeoutMs, connectTimeoutMs } = this.options;
    if (
      signal.aborted ||
      error instanceof errors.HeadersTimeoutError ||
      error instanceof errors.BodyTimeoutError ||
      (error instanceof Error && error.name === 'TimeoutError')
    ) {
      return new UpstreamTimeoutError(name, timeoutMs, { cause: error });
    }
    if (error instanceof errors.ConnectTimeoutError) {
      return new UpstreamTimeoutError(name, connectTimeoutMs, { cause: error });
    }
    const code = errorCode(error);
    const kind: UpstreamFailureKind = 'connection';
    const reason =
      code === 'ECONNREFUSED'
        ? 'refused the connection'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'could not be resolved'
          : 'dropped the connection';
    return new ConnectionError(name, kind, `${name} ${reason}.`, code, { cause: error });
  }
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
    return (
      error.networkCode !== 'ECONNREFUSED' && error.networkCode !== 'ENOTFOUND' && error.networkCode !== 'EAI_AGAIN'
    );
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
