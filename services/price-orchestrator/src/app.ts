import {
  createServiceApp,
  createServiceMetrics,
  healthPlugin,
  packageVersion,
  type ServiceApp,
  ServiceResources,
  UpstreamClient,
} from '@mlms/service-kit';
import { Counter, Histogram } from 'prom-client';
import type { Dispatcher } from 'undici';
import type { OrchestratorConfig } from './config/settings.js';
import { MODEL_SERVER, registerPricingRoutes } from './http/routes.js';
import { MlflowModelProvider } from './provider/mlflow-model-provider.js';
import { ModelSignatureGate } from './service/model-signature.js';
import { PricingService } from './service/pricing-service.js';
import { HOUSE_FIELDS } from './views/house-fields.js';

export {
  loadOrchestratorConfig,
  type OrchestratorConfig,
  orchestratorConfigSchema,
} from './config/settings.js';

export const SERVICE_NAME = 'price-orchestrator';
export const SERVICE_VERSION = packageVersion(import.meta.url);

export interface BuildAppOverrides {
  /** Replaces the model server's connection pool (unit tests pass undici's MockAgent). */
  modelServerDispatcher?: Dispatcher;
}

/** The app and its start-up gate: `waitForModel` checks the model's signature once the port is open. */
export interface OrchestratorApp {
  app: ServiceApp;
  gate: ModelSignatureGate;
  /** Waits for the model server and checks its signature; rejects with a ConfigError on a mismatch. */
  waitForModel(): Promise<void>;
}

/**
 * The composition root: the model server client, provider, signature gate, service and routes from one
 * configuration. Nothing is built at import time and nothing is called until `waitForModel`.
 */
export async function buildOrchestrator(
  config: OrchestratorConfig,
  overrides: BuildAppOverrides = {},
): Promise<OrchestratorApp> {
  const resources = new ServiceResources();
  const metrics = createServiceMetrics(SERVICE_NAME);
  const client = resources.closeOnShutdown(
    new UpstreamClient({
      name: MODEL_SERVER,
      ...config.modelServer,
      userAgent: config.userAgent,
      metrics,
      dispatcher: overrides.modelServerDispatcher,
    }),
  );
  const provider = new MlflowModelProvider(client, config.modelName);
  const predictions = new Counter({
    name: 'price_predictions_total',
    help: 'Houses priced, by model version.',
    labelNames: ['model_version'],
    registers: [metrics.registry],
  });

  const app = await createServiceApp({
    name: SERVICE_NAME,
    config,
    metrics,
    resources,
    openApi: {
      title: 'Price Orchestrator',
      version: SERVICE_VERSION,
      description:
        'Predicts Ames house sale prices: a validated, camelCase JSON API in front of the model server, which ' +
        "it calls over MLflow's scoring protocol.",
      tags: [
        { name: 'price', description: 'Price predictions.' },
        { name: 'health', description: 'Probes for orchestrators.' },
      ],
    },
  });
  const gate = new ModelSignatureGate(
    provider,
    HOUSE_FIELDS.map((field) => ({ column: field.column, kind: field.kind })),
    {
      modelName: config.modelName,
      firstDelayMs: config.startupRetryFirstDelayMs,
      maxDelayMs: config.startupRetryMaxDelayMs,
      log: { info: (message) => app.log.info(message), warn: (message) => app.log.warn(message) },
    },
  );
  const stopWaiting = new AbortController();
  app.addHook('onClose', (_instance, done) => {
    stopWaiting.abort();
    done();
  });
  await app.register(healthPlugin, {
    checks: { modelSignature: gate.readiness },
    dependencies: {
      modelServer: () => provider.ping(),
    },
    checkTimeoutMs: config.modelServer.timeoutMs,
    cacheMs: config.readinessCacheMs,
  });
  const housesPerCall = new Histogram({
    name: 'model_call_houses',
    help: 'Houses per model-server call: a batch request, or single-house requests that arrived together.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1000],
    registers: [metrics.registry],
  });
  const service = new PricingService(provider, {
    modelVersion: () => gate.modelVersion,
    predictions,
    coalesceSingleRequests: config.coalesceSingleRequests,
    maxHousesPerCall: config.maxBatchSize,
    housesPerCall,
  });
  await registerPricingRoutes(app, {
    service,
    modelServer: config.modelServer,
    maxBatchSize: config.maxBatchSize,
    maxBodyBytes: config.maxBodyBytes,
  });
  return { app, gate, waitForModel: () => gate.waitAndCheck(stopWaiting.signal) };
}
