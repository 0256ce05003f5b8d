import {
  ConfigError,
  createServiceApp,
  createServiceMetrics,
  healthPlugin,
  packageVersion,
  type ServiceApp,
  ServiceResources,
} from '@mlms/service-kit';
import type { ModelServerConfig } from './config/settings.js';
import type { ModelInput } from './dto/model.js';
import { registerMlflowRoutes } from './http/mlflow-routes.js';
import { registerV2Routes } from './http/v2-routes.js';
import { loadOnnxModel, type OnnxModel } from './provider/onnx-model.js';
import { createRunBatcher } from './service/batcher.js';
import { createModelMetrics } from './service/model-metrics.js';
import { PayloadLog } from './service/payload-log.js';
import { ScoringService } from './service/scoring-service.js';
import { v2Datatype } from './views/v2.js';

export {
  loadModelServerConfig,
  type ModelServerConfig,
  modelServerConfigSchema,
} from './config/settings.js';
export { ModelLoadError } from './provider/onnx-model.js';

export const SERVICE_NAME = 'model-server';
export const SERVICE_VERSION = packageVersion(import.meta.url);

export interface BuildAppOverrides {
  /** A model loaded by the caller (tests share one across apps); it is then the caller's to close. */
  model?: OnnxModel;
}

/**
 * The composition root: loads the model (before the port opens: a model that cannot serve stops the start-up with a
 * `ModelLoadError`, exit 78), then wires the batcher, the scoring service and both protocols' routes.
 */
export async function buildApp(config: ModelServerConfig, overrides: BuildAppOverrides = {}): Promise<ServiceApp> {
  const resources = new ServiceResources();
  const model =
    overrides.model ??
    resources.closeOnShutdown(
      await loadOnnxModel({
        modelUri: config.modelUri,
        name: config.modelName,
        version: config.modelVersion,
        threads: config.sessionThreads,
      }),
      'ONNX Runtime session',
    );
  const { identity } = model;

  const metrics = createServiceMetrics(SERVICE_NAME);
  metrics.registry.setDefaultLabels({ service: SERVICE_NAME, model: identity.name, model_version: identity.version });
  const modelMetrics = createModelMetrics(metrics.registry);
  modelMetrics.loadSeconds.set(model.loadSeconds);

  const batcher = createRunBatcher(model.run, {
    enabled: config.batchingEnabled,
    maxRows: config.batchMaxRows,
    onRun: (rows, requests) => {
      modelMetrics.runRows.observe(rows);
      modelMetrics.runRequests.observe(requests);
    },
  });
  // Failures after start-up go to the app's log, which exists by the time anything is written.
  let appLog: ServiceApp['log'] | undefined;
  const payloadLog = config.payloadLogEnabled
    ? resources.closeOnShutdown(
        openPayloadLog(config, model, (error) =>
          appLog?.error({ err: error, file: config.payloadLogFile }, 'payload log failed; it is off from now on'),
        ),
        'payload log',
      )
    : undefined;
  const service = new ScoringService({
    identity,
    inputs: model.inputs,
    outputs: model.outputs,
    batcher,
    metrics: modelMetrics,
    requestTimeoutMs: config.requestTimeoutMs,
    payloadLog,
  });

  const app = await createServiceApp({
    // No upstream to pass a deadline to: the scoring service bounds each request by requestTimeoutMs itself.
    upstreamDeadlines: false,
    name: SERVICE_NAME,
    config,
    metrics,
    resources,
    openApi: {
      title: 'Model Server',
      version: SERVICE_VERSION,
      description:
        `Serves the MLflow model \`${identity.name}\` (version \`${identity.version}\`, ONNX) over MLflow's scoring ` +
        'protocol (`/invocations`) and the Open Inference Protocol (`/v2`).',
      tags: [
        { name: 'mlflow', description: "MLflow's scoring protocol, as `mlflow models serve` speaks it." },
        { name: 'v2', description: 'Open Inference Protocol (KServe, MLServer, Triton).' },
        { name: 'health', description: 'Probes for orchestrators.' },
      ],
    },
  });

  appLog = app.log;
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  // The model is loaded before the app exists, so the process is ready whenever it is not shutting down.
  await app.register(healthPlugin, { checks: { model: async () => {} }, checkTimeoutMs: 1000, cacheMs: 0 });
  await registerMlflowRoutes(app, {
    service,
    mlflowVersion: model.description.document.mlflow_version ?? 'unknown',
    maxBodyBytes: config.maxBodyBytes,
    example: model.description.servingInputExample,
  });
  await registerV2Routes(app, {
    service,
    serverName: SERVICE_NAME,
    serverVersion: SERVICE_VERSION,
    outputShapes: model.outputShapes,
    maxBodyBytes: config.maxBodyBytes,
    isReady: () => !closing,
    example: v2Example(model),
  });
  return app;
}

/** The payload log, opened now so that a file that cannot be written stops the start-up (exit 78). */
function openPayloadLog(config: ModelServerConfig, model: OnnxModel, onError: (error: Error) => void): PayloadLog {
  let log: PayloadLog | undefined;
  try {
    log = new PayloadLog(config.payloadLogFile, { ...model.identity, inputs: model.inputs }, onError);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ConfigError(`payloadLogFile: ${config.payloadLogFile} cannot be opened for appending (${code})`);
  }
  return log;
}

/** The model's input example as a V2 inference request, for the docs. */
function v2Example(model: OnnxModel): Record<string, unknown> | null {
  const example = model.description.inputExample;
  if (!example) return null;
  const position = new Map(example.columns.map((name, index) => [name, index]));
  return {
    inputs: model.inputs.map((input: ModelInput) => {
      const index = position.get(input.name);
      return {
        name: input.name,
        shape: [example.data.length],
        datatype: v2Datatype(input),
        data: example.data.map((row) => (index === undefined ? null : (row[index] ?? null))),
      };
    }),
  };
}
