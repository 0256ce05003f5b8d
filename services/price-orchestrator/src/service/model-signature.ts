import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError } from '@mlms/service-kit';
import { type MlflowModelProvider, ModelNotServedError } from '../provider/mlflow-model-provider.js';
import type { V2ModelMetadata } from '../views/model-server.js';

/** A model column this service sends, and the kind of value it holds. */
export interface ExpectedColumn {
  column: string;
  kind: 'number' | 'category';
}

const NUMERIC_DATATYPES = new Set([
  'FP64',
  'FP32',
  'FP16',
  'INT64',
  'INT32',
  'INT16',
  'INT8',
  'UINT64',
  'UINT32',
  'UINT16',
  'UINT8',
]);

/**
 * What differs between the columns this service sends and the model's inputs (V2 metadata): columns the model
 * lacks, inputs this service does not send, and columns whose kind disagrees with the input's datatype.
 */
export function compareSignature(expected: readonly ExpectedColumn[], metadata: V2ModelMetadata): string[] {
  const inputs = new Map(metadata.inputs.map((input) => [input.name, input]));
  const sent = new Set(expected.map((column) => column.column));
  const problems: string[] = [];
  const unknown = expected.filter((column) => !inputs.has(column.column)).map((column) => column.column);
  if (unknown.length > 0) problems.push(`columns the model has no input for: ${unknown.join(', ')}`);
  const unsent = metadata.inputs.filter((input) => !sent.has(input.name)).map((input) => input.name);
  if (unsent.length > 0) problems.push(`model inputs this service does not send: ${unsent.join(', ')}`);
  const mistyped = expected.flatMap((column) => {
    const input = inputs.get(column.column);
    if (!input) return [];
    const numeric = NUMERIC_DATATYPES.has(input.datatype);
    const fits = column.kind === 'number' ? numeric : input.datatype === 'BYTES';
    return fits
      ? []
      : [`${column.column} (sent as ${column.kind === 'number' ? 'a number' : 'text'}, model input ${input.datatype})`];
  });
  if (mistyped.length > 0) problems.push(`columns of another type: ${mistyped.join(', ')}`);
  return problems;
}

export interface SignatureGateOptions {
  modelName: string;
  firstDelayMs: number;
  maxDelayMs: number;
  log: { info(message: string): void; warn(message: string): void };
}

/**
 * Start-up gate: waits for the model server (retrying with doubling back-off, not ready meanwhile), then checks the
 * model's inputs against the columns this service sends, so a mismatch stops the service at start-up (exit 78,
 * listing the differing columns) rather than failing at the first request. Once passed, it stays passed: a model
 * server that goes down later makes requests answer 503, it does not make this process unready.
 */
export class ModelSignatureGate {
  private passed = false;
  private waitingFor = 'the model server has not been reached yet';
  private version: string | undefined;

  constructor(
    private readonly provider: MlflowModelProvider,
    private readonly expected: readonly ExpectedColumn[],
    private readonly options: SignatureGateOptions,
  ) {}

  /** The model version the model server reported at start-up (V2 metadata), if it did. */
  get modelVersion(): string | undefined {
    return this.version;
  }

  /**
   * Waits for the model server and checks the signature.
   *
   * @throws ConfigError when the model's inputs differ from the columns this service sends.
   * @throws AbortError when `signal` aborts first (the service is shutting down).
   */
  async waitAndCheck(signal?: AbortSignal): Promise<void> {
    const { modelName, log } = this.options;
    let delay = this.options.firstDelayMs;
    for (;;) {
      let metadata: V2ModelMetadata | null;
      try {
        metadata = await this.provider.metadata();
      } catch (error) {
        if (error instanceof ModelNotServedError) throw new ConfigError(`${error.message}; check modelName`);
        this.waitingFor = `waiting for the model server: ${(error as Error).message}`;
        log.warn(`${this.waitingFor} (next attempt in ${delay} ms)`);
        await sleep(delay, undefined, { signal });
        delay = Math.min(delay * 2, this.options.maxDelayMs);
        continue;
      }
      if (metadata === null) {
        log.warn(`the model server has no V2 metadata for '${modelName}'; the signature cannot be checked`);
      } else {
        const problems = compareSignature(this.expected, metadata);
        if (problems.length > 0) {
          throw new ConfigError(
            `the model '${modelName}' on the model server does not match this service's fields: ${problems.join('; ')}`,
          );
        }
        this.version = metadata.versions?.[0];
        log.info(`model '${modelName}' version ${this.version ?? '(unversioned)'} matches this service's fields`);
      }
      this.passed = true;
      return;
    }
  }

  /** A readiness check: passes once the signature has been checked. */
  readonly readiness = async (): Promise<void> => {
    if (!this.passed) throw new Error(this.waitingFor);
  };
}
