import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
  type RawServerDefault,
} from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { pino } from 'pino';
import type { BaseServiceConfig } from './config.js';
import { errorHandlerPlugin } from './error-handler.js';
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
  config: Pick<BaseServiceConfig, 'logLevel' | 'logPretty'>;
  openApi: OpenApiOptions;
  /** Pass to share metrics with objects built before the app (e.g. an upstream client). */
  metrics?: ServiceMetrics;
  /**
   * What to close when the app closes, last registered first; resources registered after the app is built are
   * closed too. The one place a service registers its connection pools, files and models for shutdown.
   */
  resources?: ServiceResources;
}

const REQUEST_ID_HEADER = 'x-request-id';
// A caller's request id is echoed into our logs, so only accept ids that cannot forge log structure.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The router's own errors (malformed %-encoding in the path, a path parameter over `maxParamLength`) never reach
 * the error handler; answer them in the same FastAPI shape instead of Fastify's.
 */
function answerRouterError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  request.log.info({ method: request.method, url: request.url, err: error }, error.message);
  reply
    .header(REQUEST_ID_HEADER, request.id)
    .code(error.statusCode ?? 400)
    .send({ detail: error.message });
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
  interface FastifyRequest {
    /**
     * Extra fields for this request's one log line (e.g. `{ rows: 100 }`), set by a handler: cheaper than a child
     * logger, and the line still says everything about the request.
     */
    logFields: Record<string, unknown> | undefined;
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
  const app = Fastify({
    logger: {
      level: config.logLevel,
      name: options.name,
      ...(config.logPretty
        ? {
            transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname,name' } },
          }
        : // JSON lines to stdout, written asynchronously: lines logged while a write is in flight go out together
          // in the next one, so under load there are far fewer write(2) calls than lines, and at low traffic each
          // line still appears at once. pino flushes synchronously when the process exits.
          { stream: pino.destination({ dest: 1, sync: false }) }),
    },
    genReqId: (request) => {
      const incoming = request.headers[REQUEST_ID_HEADER];
      return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
    // Explicit bounds so a slow or stuck client cannot hold a connection forever.
    connectionTimeout: 60_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 10_000,
    bodyLimit: 1_048_576,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: answerRouterError,
    logController: new OneLinePerRequest(),
  }).withTypeProvider<ZodTypeProvider>();

  app.decorateRequest('logFields', undefined);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // Callback-style hooks on the hot path: an async hook costs a promise and a microtask turn per request.
  app.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });

  const { resources } = options;
  if (resources) app.addHook('onClose', async (instance) => resources.closeAll(instance.log));

  await app.register(errorHandlerPlugin);
  await app.register(metricsPlugin, { metrics: options.metrics ?? createServiceMetrics(options.name) });
  await app.register(openApiPlugin, options.openApi);
  return app;
}
