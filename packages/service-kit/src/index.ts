export { type CreateServiceAppOptions, createServiceApp, type ServiceApp } from './app.js';
export { type GetOrLoadOptions, TtlCache, type TtlCacheOptions, type TtlPolicy } from './cache.js';
export {
  type BaseServiceConfig,
  baseServiceConfigSchema,
  ConfigError,
  type LoadConfigOptions,
  type LoadedConfig,
  loadConfig,
} from './config.js';
export {
  currentDeadline,
  type RequestDeadline,
  remainingMs,
  runWithDeadline,
  runWithinDeadline,
} from './deadline.js';
export {
  errorHandlerPlugin,
  errorResponse,
  errorSchema,
  type ValidationIssue,
  validationErrorResponse,
  validationErrorSchema,
  validationIssueSchema,
} from './error-handler.js';
export {
  InvalidInputError,
  NotFoundError,
  ServiceError,
  UnavailableError,
  UpstreamError,
  type UpstreamFailureKind,
  UpstreamTimeoutError,
  upstreamTimeoutMessage,
} from './errors.js';
export { type AcceptsAsIs, validatorCompilerWithFastAcceptance, withFastAcceptance } from './fast-acceptance.js';
export { type HealthOptions, healthPlugin, type ReadinessCheck } from './health.js';
export {
  type GetJsonOptions,
  type PostJsonOptions,
  type QueryParameters,
  type RefusalCooldown,
  type UpstreamCallOptions,
  UpstreamClient,
  type UpstreamClientOptions,
  type UpstreamResponse,
} from './http-client.js';
export {
  type BufferedLogDestination,
  bufferedLogDestination,
  LOG_BLOCK_BYTES,
  LOG_FLUSH_MS,
} from './log-destination.js';
export { createServiceMetrics, metricsPlugin, type ServiceMetrics } from './metrics.js';
export { type BatchCall, MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js';
export {
  FASTAPI_VALIDATION_COMPONENTS,
  fastApiOperationId,
  type OpenApiOptions,
  openApiPlugin,
  redocHtml,
} from './openapi.js';
export { packageVersion } from './package-version.js';
export { RateLimiter } from './rate-limiter.js';
export { type Closeable, type CloseLogger, ServiceResources } from './resources.js';
export { type RunServiceOptions, runService, runServiceMain, type ServiceMainOptions } from './run.js';
export {
  type UpstreamConfig,
  type UpstreamErrorDescriptions,
  upstreamConfigSchema,
  upstreamErrorResponses,
} from './upstream-config.js';
