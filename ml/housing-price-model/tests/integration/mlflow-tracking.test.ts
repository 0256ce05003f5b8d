import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  MlflowTrackingClient,
  type MlflowTrackingConfig,
  MlflowTrackingError,
} from '../../src/runs/mlflow-tracking.js';
import { trainAndRecord } from '../../src/runs/train-run.js';
import { syntheticHousingCsv, temporaryDirectory } from '../helpers/export-fixtures.js';
import { RecordingMlflowServer, type RecordingServerOptions } from '../helpers/recording-mlflow-server.js';

let server: RecordingMlflowServer;
let trackingUri: string;
let workDir: string;
let removeWorkDir: () => Promise<void>;

async function startServer(options: RecordingServerOptions = {}): Promise<void> {
  server = new RecordingMlflowServer(options);
  trackingUri = await server.start();
}

function clientConfig(overrides: Partial<MlflowTrackingConfig> = {}): MlflowTrackingConfig {
  return {
    trackingUri,
    experimentName: 'housing-test',
    timeoutMs: 5_000,
    uploadTimeoutMs: 5_000,
    headers: { authorization: 'Bearer test-token' },
    ...overrides,
  };
}

beforeEach(async () => {
  ({ path: workDir, remove: removeWorkDir } = await temporaryDirectory('tracking'));
});
afterEach(async () => {
  await server?.stop();
  await removeWorkDir();
});

describe('MlflowTrackingClient against a recording server', () => {
  it('creates a missing experiment once and finds it by name afterwards', async () => {
    // Given
    await startServer();
    const client = new MlflowTrackingClient(clientConfig());

    // When
    const first = await client.getOrCreateExperiment('housing test');
    const second = await client.getOrCreateExperiment('housing test');

    // Then
    expect(first).toBe('1');
    expect(second).toBe('1');
    expect(server.calls('POST /api/2.0/mlflow/experiments/create').map((call) => call.json)).toEqual([
      { name: 'housing test' },
    ]);
    expect(server.calls('GET /api/2.0/mlflow/experiments/get-by-name')[0]?.path).toBe(
      '/api/2.0/mlflow/experiments/get-by-name?experiment_name=housing+test',
    );
    expect(server.requests.every((request) => request.authorization === 'Bearer test-token')).toBe(true);
  });

  it('sends params and metrics as one log-batch and uploads artifacts through the artifact proxy', async () => {
    // Given
    await startServer();
    const client = new MlflowTrackingClient(clientConfig());
    const run = await client.createRun('1', {
      runName: 'r',
      startTime: 1_700_000_000_000,
      tags: { 'mlflow.user': 'me' },
    });

    // When
    await client.logBatch(run.runId, { params: { n_trees: '10' }, metrics: { rmse: 25_000.5 } });
    await client.uploadArtifact(run.artifactUri, 'model/MLmodel', Buffer.from('artifact_path: model\n'));

    // Then
    expect(server.calls('POST /api/2.0/mlflow/runs/create')[0]?.json).toEqual({
      experiment_id: '1',
      run_name: 'r',
      start_time: 1_700_000_000_000,
      tags: [{ key: 'mlflow.user', value: 'me' }],
    });
    const batch = server.calls('POST /api/2.0/mlflow/runs/log-batch')[0]?.json as Record<string, unknown>;
    expect(batch).toMatchObject({
      run_id: run.runId,
      params: [{ key: 'n_trees', value: '10' }],
      metrics: [{ key: 'rmse', value: 25_000.5, step: 0, timestamp: expect.any(Number) }],
      tags: [],
    });
    const [upload] = server.calls('PUT /api/2.0/mlflow-artifacts/artifacts/');
    expect(upload?.path).toBe(`/api/2.0/mlflow-artifacts/artifacts/1/${run.runId}/artifacts/model/MLmodel`);
    expect(upload?.contentType).toBe('application/octet-stream');
    expect(upload?.bytes.toString()).toBe('artifact_path: model\n');
  });

  it('reports the endpoint, HTTP status and MLflow error code when the server refuses a call', async () => {
    // Given
    await startServer({
      failures: {
        'POST /api/2.0/mlflow/runs/log-batch': {
          status: 400,
          body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Param value too long' },
        },
      },
    });
    const client = new MlflowTrackingClient(clientConfig());

    // When
    const logging = client.logBatch('abc', { params: { x: 'y' } });

    // Then
    await expect(logging).rejects.toThrow(MlflowTrackingError);
    await expect(logging).rejects.toThrow(
      'POST /api/2.0/mlflow/runs/log-batch answered HTTP 400: INVALID_PARAMETER_VALUE: Param value too long',
    );
  });

  it('gives up on a server that does not answer within the timeout', async () => {
    // Given
    await startServer({ hang: ['POST /api/2.0/mlflow/runs/update'] });
    const client = new MlflowTrackingClient(clientConfig({ timeoutMs: 300 }));

    // When
    const update = client.updateRun('abc', { status: 'FINISHED', endTime: 1 });

    // Then
    await expect(update).rejects.toThrow(
      /POST \/api\/2\.0\/mlflow\/runs\/update to http:\/\/127\.0\.0\.1:\d+ failed: .*\(timeout 300 ms\)/,
    );
  });

  it('refuses to upload when the run stores artifacts outside the tracking server', async () => {
    // Given
    await startServer({ artifactScheme: 's3' });
    const client = new MlflowTrackingClient(clientConfig());
    const run = await client.createRun('1', { runName: 'r', startTime: 1, tags: {} });

    // When
    const upload = client.uploadArtifact(run.artifactUri, 'x.txt', Buffer.from('x'));

    // Then
    await expect(upload).rejects.toThrow(/is not served by the tracking server/);
    expect(server.calls('PUT')).toEqual([]);
  });
});

describe('trainAndRecord with MLFLOW_TRACKING_URI set', () => {
  async function trainTiny(env: NodeJS.ProcessEnv, log: string[] = []) {
    const dataPath = join(workDir, 'houses.csv');
    await writeFile(dataPath, syntheticHousingCsv());
    return trainAndRecord({
      seed: 1,
      trees: 3,
      threads: 1,
      dataPath,
      runsDir: join(workDir, 'runs'),
      env,
      log: (line) => log.push(line),
    });
  }

  it('logs params, metrics, every run file and the model record, and names the MLflow run after the local run', async () => {
    // Given
    await startServer();

    // When
    const outcome = await trainTiny({ MLFLOW_TRACKING_URI: trackingUri, MLFLOW_EXPERIMENT_NAME: 'ames-ci' });

    // Then
    expect(outcome.tracking).toBe('logged');
    const runId = outcome.summary.mlflowRunId;
    expect(runId).toMatch(/^[0-9a-f]{32}$/);
    expect(outcome.summary.name.endsWith(runId?.slice(0, 8) ?? '?')).toBe(true);
    const mlmodel = parseYaml(await readFile(join(outcome.runDir, 'model', 'MLmodel'), 'utf8'), { version: '1.1' });
    expect(mlmodel.run_id).toBe(runId);

    const batch = server.calls('POST /api/2.0/mlflow/runs/log-batch')[0]?.json as {
      params: { key: string; value: string }[];
      metrics: { key: string; value: number }[];
    };
    expect(batch.params).toContainEqual({ key: 'n_trees', value: '3' });
    expect(batch.metrics.map((metric) => metric.key).sort()).toEqual(
      ['export_seconds', 'fit_seconds', 'mae', 'model_size_bytes', 'onnx_max_relative_diff', 'r2', 'rmse'].sort(),
    );
    const uploaded = server
      .calls('PUT /api/2.0/mlflow-artifacts/artifacts/')
      .map((call) => call.path.replace(`/api/2.0/mlflow-artifacts/artifacts/1/${runId}/artifacts/`, ''));
    expect(uploaded).toEqual(
      expect.arrayContaining(['metrics.json', 'params.json', 'report.html', 'model/MLmodel', 'model/model.onnx']),
    );
    const [logModel] = server.calls('POST /api/2.0/mlflow/runs/log-model');
    const modelJson = JSON.parse((logModel?.json as { model_json?: string } | undefined)?.model_json ?? 'null');
    expect(modelJson.flavors.onnx.data).toBe('model.onnx');
    expect(server.calls('POST /api/2.0/mlflow/runs/update').at(-1)?.json).toMatchObject({
      run_id: runId,
      status: 'FINISHED',
      run_name: outcome.summary.name,
    });
  });

  it('keeps the complete local run and warns when the server cannot start a run', async () => {
    // Given
    await startServer({
      failures: { 'POST /api/2.0/mlflow/runs/create': { status: 503, body: { message: 'database locked' } } },
    });
    const log: string[] = [];

    // When
    const outcome = await trainTiny({ MLFLOW_TRACKING_URI: trackingUri }, log);

    // Then
    expect(outcome.tracking).toBe('failed');
    expect(outcome.summary.metrics.rmse).toBeGreaterThan(0);
    expect(outcome.summary.mlflowRunId).toBeNull();
    expect(
      log.some((line) => line.includes('could not start a run') && line.includes('HTTP 503: database locked')),
    ).toBe(true);
  });

  it('marks the MLflow run FAILED but keeps the local run when the artifacts cannot be uploaded', async () => {
    // Given: a server whose runs store artifacts in S3, which this client cannot reach
    await startServer({ artifactScheme: 's3' });
    const log: string[] = [];

    // When
    const outcome = await trainTiny({ MLFLOW_TRACKING_URI: trackingUri }, log);

    // Then
    expect(outcome.tracking).toBe('failed');
    expect(outcome.summary.metrics.rmse).toBeGreaterThan(0);
    expect(server.calls('PUT')).toEqual([]);
    expect(server.calls('POST /api/2.0/mlflow/runs/update').at(-1)?.json).toMatchObject({ status: 'FAILED' });
    expect(log.some((line) => line.startsWith('Warning: MLflow logging failed, the local run is complete'))).toBe(true);
  });
});
