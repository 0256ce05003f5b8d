import { UnavailableError, type UpstreamClient, UpstreamError } from '@mlms/service-kit';
import { z } from 'zod';
import {
  type DataframeSplitRequest,
  mlflowErrorSchema,
  predictionsResponseSchema,
  type V2ModelMetadata,
  v2ErrorSchema,
  v2ModelMetadataSchema,
} from '../views/model-server.js';

/** Rows for the model, in the order of `columns`. */
export interface ModelFrame {
  columns: readonly string[];
  rows: readonly (readonly (number | string | null)[])[];
}

/** The model server speaks V2 but serves no model of the configured name (a configuration mistake). */
export class ModelNotServedError extends Error {
  constructor(
    readonly modelName: string,
    readonly serverMessage: string,
  ) {
    super(`the model server serves no model named '${modelName}' (it said: ${serverMessage})`);
    this.name = 'ModelNotServedError';
  }
}

/** Statuses of the model server whose body says what was wrong with our request (MLflow's error body). */
const CLIENT_ERROR_STATUSES = [400, 404, 413, 415, 422] as const;

/**
 * A client of any model served over MLflow's scoring protocol (our model server, `mlflow models serve`, MLServer):
 * `dataframe_split` payloads over one keep-alive pool, with the pool's timeouts. Failures are typed for the caller:
 * a refused connection is `UnavailableError` (503), a timeout `UpstreamTimeoutError` (504), and any other failure,
 * a 4xx with the server's message included, `UpstreamError` (502).
 */
export class MlflowModelProvider {
  constructor(
    private readonly client: UpstreamClient,
    private readonly modelName: string,
  ) {}

  /**
   * Scores rows with one `POST /invocations` (safe to repeat, so a 5xx or a dropped connection is retried).
   *
   * @returns One prediction per row, in row order.
   */
  async predict(frame: ModelFrame): Promise<number[]> {
    const body: DataframeSplitRequest = { dataframe_split: { columns: frame.columns, data: frame.rows } };
    const response = await this.call(() =>
      this.client.postJson('/invocations', {
        endpoint: 'invocations',
        body,
        schema: predictionsResponseSchema,
        idempotent: true,
        passThroughStatuses: CLIENT_ERROR_STATUSES,
      }),
    );
    if (!response.ok) throw this.rejected(response.status, response.body);
    const predictions = response.data.predictions.map(toNumber);
    if (predictions.length !== frame.rows.length) {
      throw new UpstreamError(
        this.client.name,
        'unexpected_shape',
        `${this.client.name} answered ${predictions.length} predictions for ${frame.rows.length} rows.`,
      );
    }
    const unreadable = predictions.indexOf(undefined);
    if (unreadable !== -1) {
      throw new UpstreamError(
        this.client.name,
        'unexpected_shape',
        `${this.client.name} answered a prediction record without exactly one number (row ${unreadable}).`,
      );
    }
    return predictions as number[];
  }

  /** Resolves when the model server answers `GET /ping` (MLflow's health check). */
  async ping(): Promise<void> {
    // MLflow answers "\n" with a JSON content type, which is not JSON: any 200 body will do.
    await this.call(() =>
      this.client.getJson('/ping', { endpoint: 'ping', schema: z.unknown(), passThroughStatuses: [200] }),
    ).then((response) => {
      if (response.status !== 200)
        throw new UpstreamError(
          this.client.name,
          'status',
          `${this.client.name} answered its ping with HTTP ${response.status}.`,
        );
    });
  }

  /**
   * The model's V2 metadata (inputs with their datatypes, versions), or `null` when the server does not speak the
   * Open Inference Protocol (a plain `mlflow models serve` answers 404 without a V2 error body).
   *
   * @throws ModelNotServedError when the server speaks V2 but serves no model of that name.
   */
  async metadata(): Promise<V2ModelMetadata | null> {
    const response = await this.call(() =>
      this.client.getJson(`/v2/models/${encodeURIComponent(this.modelName)}`, {
        endpoint: 'model_metadata',
        schema: v2ModelMetadataSchema,
        passThroughStatuses: [404],
      }),
    );
    if (response.ok) return response.data;
    const v2Error = v2ErrorSchema.safeParse(response.body);
    if (v2Error.success) throw new ModelNotServedError(this.modelName, v2Error.data.error);
    return null;
  }

  private async call<T>(request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (error) {
      if (error instanceof UpstreamError && error.kind === 'refused') {
        throw new UnavailableError(`${this.client.name} is unavailable: it refused the connection.`, { cause: error });
      }
      throw error;
    }
  }

  private rejected(status: number, body: unknown): UpstreamError {
    const parsed = mlflowErrorSchema.safeParse(body);
    const reason = parsed.success ? `: ${parsed.data.message}` : '.';
    return new UpstreamError(
      this.client.name,
      'status',
      `${this.client.name} rejected the request (HTTP ${status})${reason}`,
      {
        upstreamStatus: status,
      },
    );
  }
}

/** A prediction as a number: the value itself, or the one numeric field of a record (MLflow's ONNX flavour). */
function toNumber(prediction: number | Record<string, unknown>): number | undefined {
  if (typeof prediction === 'number') return prediction;
  const numbers = Object.values(prediction).filter((value): value is number => typeof value === 'number');
  return numbers.length === 1 ? numbers[0] : undefined;
}
