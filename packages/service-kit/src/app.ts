import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { parse as parseQueryString } from 'node:querystring';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawServerDefault,
} from 'fastify';
import { serializerCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { BaseServiceConfig } from './config.js';
import { runWithDeadline } from './deadline.js';
import { errorHandlerPlugin } from './error-handler.js';
import { validatorCompilerWithFastAcceptance } from './fast-acceptance.js';
import { bufferedLogDestination } from './log-destination.js';
import { createServiceMetrics, metricsPlugin, type ServiceMetrics } from './metrics.js';
import { type OpenApiOptions, openApiPlugin } from './openapi.js';
import type { ServiceResources } from './resources.js';

export type ServiceApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;

export interface CreateServiceAppOptions {
  /** Name used in logs and as the `service` label of every metric. */
  name: string;
  config: Pick<
    BaseServiceConfig,
    'logLevel' | 'logPretty' | 'requestTimeoutMs' | 'maxOpenConnections' | 'headersTimeoutMs' | 'keepAliveTimeoutMs'
  >;
  openApi: OpenApiOptions;
  /** Pass to share metrics with objects built before the app (e.g. an upstream client). */
  metrics?: ServiceMetrics;
  /**
   * What to close when the app closes, last registered first; resources registered after the app is built are
   * closed too. The one place a service registers its connection pools, files and models for shutdown.
   */
  resources?: ServiceResources;
  /**
   * Carry each request's deadline (`requestTimeoutMs`) to the upstream calls it makes (default true). A service that
   * calls no upstream, and bounds its own work, turns it off: the async context costs a little on every request.
   */
  upstreamDeadlines?: boolean;
}

const REQUEST_ID_HEADER = 'x-request-id';
// A caller's request id is echoed into our logs, so only accept ids that cannot forge log structure.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The router's own errors (malformed %-encoding in the path, a path parameter over `maxParamLength`) never reach
 * the error handler; answer them in the same FastAPI shape instead of Fastify's, with the status's reason phrase
 * rather than the router's message, which quotes the raw path.
 */
function answerRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ method: request.method, url: request.url, err: error }, error.message);
  const status = error.statusCode ?? 400;
  reply
    .header(REQUEST_ID_HEADER, request.id)
    .code(status)
    .send({ detail: STATUS_CODES[status] ?? 'Bad Request' });
}

/**
 * A query string as FastAPI reads it for single-valued parameters: a repeated name keeps its last value
 * (`?title=a&title=b` is `b`), instead of becoming an array the schema refuses.
 */
export function parseQueryLastValueWins(query: string): Record<string, string> {
  const parsed = parseQueryString(query);
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    result[key] = Array.isArray(value) ? (value.at(-1) ?? '') : (value ?? '');
  }
  return result;
}

/**
 * Requests Node refuses before Fastify sees them (a malformed request line or header, headers over the size
 * limit): answered `{"detail": <reason phrase>}` as JSON, like every other error, then the connection is closed.
 */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const reason = STATUS_CODES[status] as string;
  const body = JSON.stringify({ detail: reason });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-length: ${Buffer.byteLength(body)}\r\ncontent-type: application/json\r\n` +
        `x-content-type-options: nosniff\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

const JSON_UTF8 = 'application/json; charset=utf-8';

function emptyJsonBodyError(): Error {
  return Object.assign(new Error("Body cannot be empty when content-type is set to 'application/json'"), {
    statusCode: 400,
    code: 'FST_ERR_CTP_EMPTY_JSON_BODY',
  });
}

/** What Fastify's default parser refuses: a `__proto__` key, or `constructor.prototype` (prototype poisoning). */
function hasForbiddenPrototypeKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasForbiddenPrototypeKey);
  if (typeof value !== 'object' || value === null) return false;
  if (Object.hasOwn(value, '__proto__')) return true;
  const constructorValue = (value as Record<string, unknown>).constructor;
  if (Object.hasOwn(value, 'constructor') && typeof constructorValue === 'object' && constructorValue !== null) {
    if (Object.hasOwn(constructorValue, 'prototype')) return true;
  }
  return Object.values(value).some(hasForbiddenPrototypeKey);
}

/**
 * One log line per request, written when it completes (method, URL, status, time), instead of Fastify's two
 * (incoming + completed): half the logging cost on the hot path, and each line says everything about the request.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const fields = {
      method: request.method,
      url: request.url,
      statusCode: reply.statusCode,
      responseTime: reply.elapsedTime,
      ...request.logFields,
    };
    if (error) reply.log.error({ ...fields, err: error }, 'request errored');
    else reply.log.info(fields, 'request completed');
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * Starts the shutdown drain: readiness answers 503 from now on and every response asks its client to close the
     * connection, so keep-alive clients reconnect (to another replica) while this one still answers them.
     */
    beginDrain(): void;
    readonly draining: boolean;
  }
  interface FastifyRequest {
    /**
     * Extra fields for this request's one log line (e.g. `{ rows: 100 }`), set by a handler: cheaper than a child
     * logger, and the line still says everything about the request.
     */
    logFields: Record<string, unknown> | undefined;
  }
}

/**
 * Whether pino-pretty can be loaded. It only serves a terminal, so the production images leave it out; a `logPretty`
 * config there must fall back to JSON lines rather than stop the service from starting.
 */
export function prettyLogsAvailable(
  resolve: (specifier: string) => string = createRequire(import.meta.url).resolve,
): boolean {
  try {
    resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

/**
 * The bootstrap every service shares: Fastify with zod validation and serialisation, JSON logs with a
 * request id, explicit server timeouts, one error handler, Prometheus metrics and OpenAPI docs, and the closing
 * of the service's `resources` when the app closes. The service then registers its health checks and routes on the
 * returned instance.
 */
export async function createServiceApp(options: CreateServiceAppOptions): Promise<ServiceApp> {
  const { config } = options;
  const prettyLogs = config.logPretty && prettyLogsAvailable();
  const logDestination = prettyLogs ? undefined : bufferedLogDestination();
  const app = Fastify({
    logger: {
      level: config.logLevel,
      name: options.name,
      ...(prettyLogs
        ? {
            transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name' } },
          }
        : // JSON lines to stdout in blocks (see bufferedLogDestination).
          { stream: logDestination?.stream }),
    },
    genReqId: (request) => {
      const incoming = request.headers[REQUEST_ID_HEADER];
      return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Explicit bounds so a slow or stuck client cannot hold a connection forever.
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    bodyLimit: 1_048_576,
    routerOptions: { maxParamLength: 200, querystringParser: parseQueryLastValueWins },
    frameworkErrors: answerRouterError,
    clientErrorHandler: answerClientError,
    // A request without Host reaches the onRequest hook below, which answers it in the FastAPI shape; Node would
    // answer an empty 400 itself.
    // Node checks header and request timeouts only every `connectionsCheckingInterval` (30 s by default), so a
    // client that sends its headers slowly held a connection for up to a minute; check every second instead.
    http: { requireHostHeader: false, headersTimeout: config.headersTimeoutMs, connectionsCheckingInterval: 1000 },
    logController: new OneLinePerRequest(),
  }).withTypeProvider<ZodTypeProvider>();
  if (config.logPretty && !prettyLogs) {
    app.log.warn(
      'logPretty is set but pino-pretty is not installed (production images leave it out): logging JSON lines',
    );
  }

  // Node closes a connection over the cap as it arrives, so a flood of connections cannot exhaust file descriptors
  // or memory; the ones already open are served as usual.
  app.server.maxConnections = config.maxOpenConnections;
  let draining = false;
  app.decorate('draining', {
    getter: () => draining,
  });
  app.decorate('beginDrain', () => {
    draining = true;
    if (app.hasDecorator('markNotReady')) (app as FastifyInstance).markNotReady();
  });

  app.decorateRequest('logFields', undefined);
  app.setValidatorCompiler(validatorCompilerWithFastAcceptance);
  app.setSerializerCompiler(serializerCompiler);
  // Callback-style hooks on the hot path: an async hook costs a promise and a microtask turn per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      // HTTP/1.1 requires Host (RFC 9112, 3.2); uvicorn refuses such a request with 400 too.
      reply.code(400).send({ detail: 'Bad Request' });
      return;
    }
    done();
  });
  // FastAPI's JSONResponse says `application/json`, without a charset (JSON is UTF-8 by definition); every JSON
  // error also says `nosniff`, so a browser never renders an error that echoes input as another type.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    const type = reply.getHeader('content-type');
    if (type === JSON_UTF8) reply.header('content-type', 'application/json');
    if (reply.statusCode >= 400 && typeof type === 'string' && type.startsWith('application/json')) {
      reply.header('x-content-type-options', 'nosniff');
    }
    done(null, payload);
  });
  // After the body is parsed, so the deadline travels into the handler's async work (a body arrives in stream
  // events, outside any context set when the request started); its clock still starts when the request did.
  if (options.upstreamDeadlines !== false) {
    const { requestTimeoutMs } = config;
    app.addHook('preHandler', (_request, reply, done) => {
      runWithDeadline(requestTimeoutMs, done, performance.now() - reply.elapsedTime);
    });
  }
  // Node answers an `Expect` other than 100-continue with an empty 417 unless someone listens; uvicorn ignores an
  // expectation it does not know, so hand the request to Fastify as usual.
  app.server.on('checkExpectation', (request, response) => app.server.emit('request', request, response));
  // Fastify's JSON parser, but a malformed body keeps its text, for FastAPI's `json_invalid` entry.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length === 0) {
      // Fastify's own error for a route that takes a body (the kit answers it as FastAPI's missing body; a scope
      // with its own error handler keeps Fastify's message), nothing for a route that takes none.
      const takesBody = (request.routeOptions.schema as { body?: unknown } | undefined)?.body !== undefined;
      done(takesBody ? emptyJsonBodyError() : null, undefined);
      return;
    }
    try {
      const parsed: unknown = JSON.parse(text);
      if (/"(?:__proto__|constructor)"/.test(text) && hasForbiddenPrototypeKey(parsed)) {
        done(Object.assign(new Error('Object contains forbidden prototype property'), { statusCode: 400 }), undefined);
        return;
      }
      done(null, parsed);
    } catch (error) {
      done(Object.assign(error as Error, { statusCode: 400, rawBody: text }), undefined);
    }
  });

  const { resources } = options;
  if (resources) app.addHook('onClose', async (instance) => resources.closeAll(instance.log));
  if (logDestination) {
    app.addHook('onClose', (_instance, done) => {
      logDestination.close();
      done();
    });
  }

  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { metrics: options.metrics ?? createServiceMetrics(options.name) });
  await app.register(openApiPlugin, options.openApi);
  return app;
}
