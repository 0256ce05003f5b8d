import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { readOnnxMlflowModel } from '@mlms/mlflow-model';
import { request } from 'undici';
import { z } from 'zod';
import { RUN_FILES, type RunMetricsFile, type RunParamsFile } from './run-files.js';

/** Where and how to reach an MLflow tracking server. */
export interface MlflowTrackingConfig {
  /** Base URL, e.g. `http://localhost:5000` (no trailing slash). */
  trackingUri: string;
  experimentName: string;
  /** Per-request timeout for API calls; artifact uploads get {@link MlflowTrackingConfig.uploadTimeoutMs}. */
  timeoutMs: number;
  uploadTimeoutMs: number;
  /** Extra request headers (authorization from the standard MLflow variables). */
  headers: Record<string, string>;
}

export const DEFAULT_EXPERIMENT_NAME = 'housing-price-model';

/** Tracking is configured but cannot be used as configured. */
export class MlflowTrackingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlflowTrackingError';
  }
}

/**
 * Tracking settings from the standard MLflow environment variables, or null when `MLFLOW_TRACKING_URI` is unset
 * (tracking is optional). Reads `MLFLOW_EXPERIMENT_NAME` (default `housing-price-model`), and
 * `MLFLOW_TRACKING_TOKEN` or `MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD` for authentication, as the
 * Python client does.
 *
 * @throws MlflowTrackingError when the URI is not an http(s) URL (file stores and Databricks are not supported).
 */
export function trackingConfigFromEnv(env: NodeJS.ProcessEnv = process.env): MlflowTrackingConfig | null {
  const uri = env.MLFLOW_TRACKING_URI?.trim();
  if (!uri) return null;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new MlflowTrackingError(
      `MLFLOW_TRACKING_URI '${uri}' is not a URL; set it to the tracking server, e.g. http://localhost:5000`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlflowTrackingError(
      `MLFLOW_TRACKING_URI '${uri}' uses ${url.protocol}, but only an http(s) tracking server is supported ` +
        '(its REST API is what this client speaks)',
    );
  }
  const headers: Record<string, string> = {};
  if (env.MLFLOW_TRACKING_TOKEN) headers.authorization = `Bearer ${env.MLFLOW_TRACKING_TOKEN}`;
  else if (env.MLFLOW_TRACKING_USERNAME) {
    const credentials = `${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ''}`;
    headers.authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  }
  return {
    trackingUri: uri.replace(/\/+$/, ''),
    experimentName: env.MLFLOW_EXPERIMENT_NAME?.trim() || DEFAULT_EXPERIMENT_NAME,
    timeoutMs: 15_000,
    uploadTimeoutMs: 120_000,
    headers,
  };
}

const experimentResponse = z.object({ experiment: z.object({ experiment_id: z.string() }) });
const createExperimentResponse = z.object({ experiment_id: z.string() });
const createRunResponse = z.object({
  run: z.object({ info: z.object({ run_id: z.string(), artifact_uri: z.string() }) }),
});
const errorResponse = z.object({ error_code: z.string().optional(), message: z.string().optional() }).passthrough();

export interface CreatedRun {
  runId: string;
  artifactUri: string;
}

/**
 * A small client for the MLflow tracking REST API (2.0 endpoints): experiments, runs, batch logging, and
 * artifact upload through the tracking server's artifact proxy (`mlflow server --serve-artifacts`, the default
 * since MLflow 2.0). Every call has a timeout.
 */
export class MlflowTrackingClient {
  constructor(private readonly config: MlflowTrackingConfig) {}

  /** The id of the named experiment, created when it does not exist. */
  async getOrCreateExperiment(name: string): Promise<string> {
    const query = new URLSearchParams({ experiment_name: name });
    const found = await this.call('GET', `/api/2.0/mlflow/experiments/get-by-name?${query}`, undefined, {
      allowNotFound: true,
    });
    if (found !== null) return experimentResponse.parse(found).experiment.experiment_id;
    const created = await this.call('POST', '/api/2.0/mlflow/experiments/create', { name });
    return createExperimentResponse.parse(created).experiment_id;
  }

  async createRun(
    experimentId: string,
    run: { runName: string; startTime: number; tags: Record<string, string> },
  ): Promise<CreatedRun> {
    const response = await this.call('POST', '/api/2.0/mlflow/runs/create', {
      experiment_id: experimentId,
      run_name: run.runName,
      start_time: run.startTime,
      tags: Object.entries(run.tags).map(([key, value]) => ({ key, value })),
    });
    const { info } = createRunResponse.parse(response).run;
    return { runId: info.run_id, artifactUri: info.artifact_uri };
  }

  /** Logs params, metrics and tags in one request (MLflow allows 100 params, 1000 metrics, 100 tags per batch). */
  async logBatch(
    runId: string,
    batch: { params?: Record<string, string>; metrics?: Record<string, number>; tags?: Record<string, string> },
  ): Promise<void> {
    const timestamp = Date.now();
    await this.call('POST', '/api/2.0/mlflow/runs/log-batch', {
      run_id: runId,
      params: Object.entries(batch.params ?? {}).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(batch.metrics ?? {}).map(([key, value]) => ({ key, value, timestamp, step: 0 })),
      tags: Object.entries(batch.tags ?? {}).map(([key, value]) => ({ key, value })),
    });
  }

  /** Records a logged model on the run (what `mlflow.<flavor>.log_model` does after uploading the files). */
  async logModel(runId: string, model: Record<string, unknown>): Promise<void> {
    await this.call('POST', '/api/2.0/mlflow/runs/log-model', { run_id: runId, model_json: JSON.stringify(model) });
  }

  async updateRun(runId: string, update: { status: 'FINISHED' | 'FAILED'; endTime: number; runName?: string }) {
    await this.call('POST', '/api/2.0/mlflow/runs/update', {
      run_id: runId,
      status: update.status,
      end_time: update.endTime,
      ...(update.runName === undefined ? {} : { run_name: update.runName }),
    });
  }

  /**
   * Uploads one file under the run's artifact root.
   *
   * @throws MlflowTrackingError when the run's artifact URI is not served by the tracking server
   * (`mlflow-artifacts:`); a client would then need direct access to that store, which this one does not have.
   */
  async uploadArtifact(artifactUri: string, artifactPath: string, content: Uint8Array): Promise<void> {
    const root = proxiedArtifactRoot(artifactUri);
    const path = [...root.split('/'), ...artifactPath.split('/')].filter(Boolean).map(encodeURIComponent).join('/');
    await this.call('PUT', `/api/2.0/mlflow-artifacts/artifacts/${path}`, content, {
      timeoutMs: this.config.uploadTimeoutMs,
    });
  }

  /** Uploads every file of a local directory, keeping the relative layout under `prefix`. */
  async uploadDirectory(artifactUri: string, directory: string, prefix = ''): Promise<number> {
    let count = 0;
    for (const file of await listFiles(directory)) {
      const relativePath = relative(directory, file).split(sep).join('/');
      await this.uploadArtifact(artifactUri, prefix ? `${prefix}/${relativePath}` : relativePath, await readFile(file));
      count++;
    }
    return count;
  }

  private async call(
    method: 'GET' | 'POST' | 'PUT',
    path: string,
    body: unknown,
    options: { allowNotFound?: boolean; timeoutMs?: number } = {},
  ): Promise<unknown> {
    const timeoutMs = options.timeoutMs ?? this.config.timeoutMs;
    const isBytes = body instanceof Uint8Array;
    const url = `${this.config.trackingUri}${path}`;
    const endpoint = `${method} ${path.split('?')[0]}`;
    let response: Awaited<ReturnType<typeof request>>;
    try {
      response = await request(url, {
        method,
        headers: {
          ...this.config.headers,
          ...(body === undefined ? {} : { 'content-type': isBytes ? 'application/octet-stream' : 'application/json' }),
        },
        body: body === undefined ? undefined : isBytes ? body : JSON.stringify(body),
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new MlflowTrackingError(
        `${endpoint} to ${this.config.trackingUri} failed: ${(error as Error).message} (timeout ${timeoutMs} ms)`,
      );
    }
    const text = await response.body.text();
    if (options.allowNotFound && response.statusCode === 404) return null;
    if (response.statusCode < 200 || response.statusCode >= 300) {
      throw new MlflowTrackingError(`${endpoint} answered HTTP ${response.statusCode}: ${describeError(text)}`);
    }
    if (text.trim() === '') return {};
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new MlflowTrackingError(`${endpoint} answered HTTP ${response.statusCode} with a body that is not JSON`);
    }
  }
}

/** The artifact-proxy path of a run's artifact root: `mlflow-artifacts:/1/abc/artifacts` → `1/abc/artifacts`. */
export function proxiedArtifactRoot(artifactUri: string): string {
  if (!artifactUri.startsWith('mlflow-artifacts:')) {
    throw new MlflowTrackingError(
      `the run's artifact root ${artifactUri} is not served by the tracking server; start it with ` +
        '`mlflow server --serve-artifacts` (the default) so artifacts can be uploaded over HTTP',
    );
  }
  return new URL(artifactUri).pathname.replace(/^\/+/, '');
}

function describeError(text: string): string {
  try {
    const parsed = errorResponse.safeParse(JSON.parse(text));
    if (parsed.success && (parsed.data.error_code || parsed.data.message)) {
      return [parsed.data.error_code, parsed.data.message].filter(Boolean).join(': ');
    }
  } catch {
    // Not JSON: fall through to the raw text.
  }
  return text.trim().slice(0, 300) || '(empty body)';
}

async function listFiles(directory: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files.sort();
}

/** Creates the tracking run that a local run will be logged to. */
export async function startTrackedRun(
  client: MlflowTrackingClient,
  config: MlflowTrackingConfig,
  startTime: number,
): Promise<{ experimentId: string; run: CreatedRun }> {
  const experimentId = await client.getOrCreateExperiment(config.experimentName);
  const run = await client.createRun(experimentId, {
    runName: 'housing-price-model-train',
    startTime,
    tags: {
      'mlflow.source.type': 'LOCAL',
      'mlflow.source.name': '@mlms/housing-price-model train',
      'mlflow.user': process.env.USER ?? 'unknown',
    },
  });
  return { experimentId, run };
}

/**
 * Logs a written run directory to its tracking run: params and metrics (one batch), every run file as an artifact
 * (the MLflow model under `model/`), the logged-model record, and the final status and run name.
 */
export async function logRunDirectory(
  client: MlflowTrackingClient,
  run: CreatedRun,
  runDir: string,
  runName: string,
): Promise<void> {
  const params = JSON.parse(await readFile(join(runDir, RUN_FILES.params), 'utf8')) as RunParamsFile;
  const metrics = JSON.parse(await readFile(join(runDir, RUN_FILES.metrics), 'utf8')) as RunMetricsFile;
  await client.logBatch(run.runId, {
    params: Object.fromEntries(Object.entries(params).map(([key, value]) => [key, String(value)])),
    metrics: { ...metrics },
  });
  await client.uploadDirectory(run.artifactUri, runDir);
  const { document } = await readOnnxMlflowModel(join(runDir, RUN_FILES.modelDir));
  await client.logModel(run.runId, document);
  await client.updateRun(run.runId, { status: 'FINISHED', endTime: Date.now(), runName });
}
