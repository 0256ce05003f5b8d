import { createServiceApp, createServiceMetrics, type ServiceApp } from '@mlms/service-kit';
import { quietServiceTestSettings } from '../../../../test-support/config.js';
import type { ColumnBatch, OutputTensor } from '../../src/dto/batch.js';
import type { ModelInput, ModelOutput } from '../../src/dto/model.js';
import { registerMlflowRoutes } from '../../src/http/mlflow-routes.js';
import { registerV2Routes } from '../../src/http/v2-routes.js';
import { type BatchRunner, createRunBatcher } from '../../src/service/batcher.js';
import { createModelMetrics } from '../../src/service/model-metrics.js';
import { ScoringService } from '../../src/service/scoring-service.js';
import { AREA_ROOMS_ZONE } from './inputs.js';

/** A model with one column of each kind a request can hold: a double, a long fed as int64 `[N, 1]`, and text. */
export const STUB_INPUTS: ModelInput[] = AREA_ROOMS_ZONE;
export const STUB_OUTPUTS: ModelOutput[] = [{ name: 'variable', datatype: 'FP64' }];
export const STUB_IDENTITY = { name: 'housing', version: '7' };

/** The stand-in model: `area + rooms + zone.length` per row (NaN when the area is missing). */
export const stubRunner: BatchRunner = async (batch: ColumnBatch): Promise<OutputTensor[]> => {
  const [area, rooms, zone] = batch.columns as [Float64Array, BigInt64Array, string[]];
  const data = new Float64Array(batch.rows);
  for (let row = 0; row < batch.rows; row++) {
    data[row] = (area[row] as number) + Number(rooms[row]) + (zone[row] as string).length;
  }
  return [{ name: 'variable', datatype: 'FP64', shape: [batch.rows], data }];
};

export interface StubAppOptions {
  runner?: BatchRunner;
  requestTimeoutMs?: number;
  maxBodyBytes?: number;
  ready?: () => boolean;
}

/** The MLflow and V2 routes over a scoring service whose model is {@link stubRunner}: no ONNX Runtime involved. */
export async function stubApp(options: StubAppOptions = {}): Promise<{ app: ServiceApp; batches: ColumnBatch[] }> {
  const batches: ColumnBatch[] = [];
  const runner = options.runner ?? stubRunner;
  const metrics = createServiceMetrics('model-server');
  const service = new ScoringService({
    identity: STUB_IDENTITY,
    inputs: STUB_INPUTS,
    outputs: STUB_OUTPUTS,
    batcher: createRunBatcher(
      (batch) => {
        batches.push(batch);
        return runner(batch);
      },
      { enabled: true, maxRows: 1000 },
    ),
    metrics: createModelMetrics(metrics.registry),
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  });
  const app = await createServiceApp({
    name: 'model-server',
    config: quietServiceTestSettings,
    metrics,
    openApi: { title: 'Model Server', version: '0.0.0-test', description: 'Stub model.' },
  });
  const maxBodyBytes = options.maxBodyBytes ?? 64 * 1024;
  await registerMlflowRoutes(app, { service, mlflowVersion: '2.17.2', maxBodyBytes, example: null });
  await registerV2Routes(app, {
    service,
    serverName: 'model-server',
    serverVersion: '0.0.0-test',
    outputShapes: { variable: [-1] },
    maxBodyBytes,
    isReady: options.ready ?? (() => true),
    example: null,
  });
  return { app, batches };
}
