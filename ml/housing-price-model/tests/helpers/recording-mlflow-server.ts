import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake tracking server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  contentType: string | undefined;
  authorization: string | undefined;
  /** Parsed JSON for API calls; raw bytes for artifact uploads. */
  json: unknown;
  bytes: Buffer;
}

export interface RecordingServerOptions {
  /** Answer these endpoints (`METHOD /path`, no query) with this status and body instead of the default. */
  failures?: Record<string, { status: number; body: unknown }>;
  /** Endpoints (`METHOD /path`) that never answer, to exercise client timeouts. */
  hang?: string[];
  /** Artifact root the fake hands out for new runs. */
  artifactScheme?: 'mlflow-artifacts' | 's3';
}

/**
 * A loopback HTTP server that speaks just enough of the MLflow tracking REST API for the client (experiments,
 * runs, log-batch, log-model, update, artifact upload) and records every request.
 */
export class RecordingMlflowServer {
  readonly requests: RecordedRequest[] = [];
  private readonly server: Server;
  private readonly experiments = new Map<string, string>();
  private readonly hanging: ServerResponse[] = [];
  private runCounter = 0;

  constructor(private readonly options: RecordingServerOptions = {}) {
    this.server = createServer((request, response) => {
      void this.handle(request, response);
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  async stop(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Requests to one endpoint (`METHOD /path` prefix). */
  calls(endpoint: string): RecordedRequest[] {
    return this.requests.filter((request) => `${request.method} ${request.path}`.startsWith(endpoint));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const contentType = request.headers['content-type'];
    let json: unknown = null;
    if (contentType === 'application/json' && bytes.length > 0) json = JSON.parse(bytes.toString('utf8'));
    const method = request.method ?? 'GET';
    this.requests.push({
      method,
      path: `${url.pathname}${url.search}`,
      contentType,
      authorization: request.headers.authorization,
      json,
      bytes,
    });

    const endpoint = `${method} ${url.pathname}`;
    if (this.options.hang?.includes(endpoint)) {
      this.hanging.push(response);
      return;
    }
    const failure = this.options.failures?.[endpoint];
    if (failure) return send(response, failure.status, failure.body);

    if (endpoint === 'GET /api/2.0/mlflow/experiments/get-by-name') {
      const id = this.experiments.get(url.searchParams.get('experiment_name') ?? '');
      if (id === undefined) {
        return send(response, 404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'Could not find experiment' });
      }
      return send(response, 200, { experiment: { experiment_id: id } });
    }
    if (endpoint === 'POST /api/2.0/mlflow/experiments/create') {
      const id = String(this.experiments.size + 1);
      this.experiments.set((json as { name: string }).name, id);
      return send(response, 200, { experiment_id: id });
    }
    if (endpoint === 'POST /api/2.0/mlflow/runs/create') {
      this.runCounter++;
      const runId = this.runCounter.toString(16).padStart(32, '0');
      const experimentId = (json as { experiment_id: string }).experiment_id;
      const root =
        this.options.artifactScheme === 's3'
          ? `s3://bucket/${experimentId}/${runId}/artifacts`
          : `mlflow-artifacts:/${experimentId}/${runId}/artifacts`;
      return send(response, 200, { run: { info: { run_id: runId, artifact_uri: root, status: 'RUNNING' } } });
    }
    if (
      endpoint === 'POST /api/2.0/mlflow/runs/log-batch' ||
      endpoint === 'POST /api/2.0/mlflow/runs/log-model' ||
      endpoint === 'POST /api/2.0/mlflow/runs/update'
    ) {
      return send(response, 200, {});
    }
    if (method === 'PUT' && url.pathname.startsWith('/api/2.0/mlflow-artifacts/artifacts/')) {
      return send(response, 200, {});
    }
    send(response, 404, { error_code: 'ENDPOINT_NOT_FOUND', message: `no handler for ${endpoint}` });
  }
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}
