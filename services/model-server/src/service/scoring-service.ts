import type { MicroBatcher } from '@mlms/service-kit';
import type { ColumnBatch, ModelIdentity, OutputTensor, PredictionResult } from '../dto/batch.js';
import type { ModelInput, ModelOutput } from '../dto/model.js';
import type { ModelMetrics } from './model-metrics.js';

type Observer = { observe(value: number): void };
type Incrementer = { inc(value: number): void };

import type { PayloadLog } from './payload-log.js';

/** A prediction took longer than the configured limit (answered 504; the run itself cannot be cancelled). */
export class PredictionTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The prediction did not finish within ${timeoutMs} ms.`);
    this.name = 'PredictionTimeoutError';
  }
}

export type Protocol = 'mlflow' | 'v2';

export interface PredictContext {
  requestId: string;
  protocol: Protocol;
}

export interface ScoringServiceOptions {
  identity: ModelIdentity;
  inputs: readonly ModelInput[];
  outputs: readonly ModelOutput[];
  batcher: MicroBatcher<ColumnBatch, OutputTensor[]>;
  metrics: ModelMetrics;
  requestTimeoutMs: number;
  payloadLog?: PayloadLog | undefined;
}

/**
 * The data plane both protocols share: a decoded columnar batch in, the model's outputs out. Protocol adapters in
 * `http/` only translate their wire format to and from it, so every rule about scoring lives here once.
 */
export class ScoringService {
  readonly identity: ModelIdentity;
  readonly inputs: readonly ModelInput[];
  readonly outputs: readonly ModelOutput[];

  /** The per-protocol metric children, resolved once (prom-client still hashes their labels on every update). */
  private readonly protocolMetrics: Record<Protocol, { requestRows: Observer; rowsPredicted: Incrementer }>;

  constructor(private readonly options: ScoringServiceOptions) {
    this.identity = options.identity;
    this.inputs = options.inputs;
    this.outputs = options.outputs;
    const { metrics } = options;
    const children = (protocol: Protocol) => ({
      requestRows: metrics.requestRows.labels({ protocol }),
      rowsPredicted: metrics.rowsPredicted.labels({ protocol }),
    });
    this.protocolMetrics = { mlflow: children('mlflow'), v2: children('v2') };
  }

  /**
   * Scores every row of the batch.
   *
   * @throws PredictionTimeoutError when the answer is not ready within the configured time limit.
   */
  async predict(batch: ColumnBatch, context: PredictContext): Promise<PredictionResult> {
    const metrics = this.protocolMetrics[context.protocol];
    metrics.requestRows.observe(batch.rows);
    const outputs = batch.rows === 0 ? this.emptyOutputs() : await this.withTimeout(this.options.batcher.submit(batch));
    metrics.rowsPredicted.inc(batch.rows);
    this.options.payloadLog?.write({ requestId: context.requestId, protocol: context.protocol, batch, outputs });
    return { model: this.identity, outputs };
  }

  private emptyOutputs(): OutputTensor[] {
    return this.outputs.map((output) => ({ name: output.name, datatype: output.datatype, shape: [0], data: [] }));
  }

  /** One promise and one cleared timer per request (a race of two promises plus `finally` costs three). */
  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    const timeoutMs = this.options.requestTimeoutMs;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new PredictionTimeoutError(timeoutMs)), timeoutMs);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}
