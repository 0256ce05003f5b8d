/**
 * The overhead floor for `bench:model`: a bare node:http server that answers `POST /invocations` with a
 * `dataframe_split` body by `JSON.parse`, one `[N]` tensor per signature column (float64 for numeric columns, string
 * for text ones; null becomes NaN or '') and one run of the same ONNX Runtime session the model server opens, and
 * nothing else: no validation, logging, metrics or error mapping.
 *
 * With `BATCHING=true` it also batches like the model server (the bodies parsed while a run is in flight are scored
 * together by the next run, no timer), still with nothing else: the most a single-threaded batching server can do
 * on this machine, against which the model server's own overhead shows.
 */
import { createServer } from 'node:http';
import { readOnnxMlflowModel } from '@mlms/mlflow-model';
import * as ort from 'onnxruntime-node';

const port = Number(process.env.PORT ?? 0);
const model = await readOnnxMlflowModel(process.env.MODEL_URI ?? 'ml/housing-price-model/models/default');
// The model server's session options (config.yaml: sessionThreads 1).
const session = await ort.InferenceSession.create(model.onnx.modelPath, {
  executionProviders: ['cpu'],
  logSeverityLevel: 3,
  intraOpNumThreads: 1,
});
const inputs = model.signature.inputs.map((column) => ({ name: column.name, text: column.type === 'string' }));
const outputName = session.outputNames[0] as string;

interface SplitBody {
  dataframe_split: { columns: string[]; data: (number | string | null)[][] };
}

interface Parsed {
  columns: string[];
  data: (number | string | null)[][];
}

/** One tensor per input over the rows of every parsed body, in order. */
function feedsOf(bodies: readonly Parsed[]): Record<string, ort.Tensor> {
  let rows = 0;
  for (const body of bodies) rows += body.data.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const values = input.text ? new Array<string>(rows) : new Float64Array(rows);
    let row = 0;
    for (const { columns, data } of bodies) {
      const index = columns.indexOf(input.name);
      for (const cells of data) {
        const cell = cells[index] ?? null;
        values[row++] = input.text ? ((cell as string | null) ?? '') : ((cell as number | null) ?? Number.NaN);
      }
    }
    feeds[input.name] = new ort.Tensor(input.text ? 'string' : 'float64', values, [rows]);
  }
  return feeds;
}

async function score(bodies: readonly Parsed[]): Promise<Float32Array> {
  const results = await session.run(feedsOf(bodies));
  return (results[outputName] as ort.Tensor).data as Float32Array;
}

const answer = (predictions: ArrayLike<number>) => `{"predictions":[${Array.prototype.join.call(predictions, ',')}]}`;

const batching = process.env.BATCHING === 'true';
let queue: { body: Parsed; done: (text: string | null) => void }[] = [];
let running = false;

async function drain(): Promise<void> {
  while (queue.length > 0) {
    const group = queue;
    queue = [];
    try {
      const predictions = await score(group.map((pending) => pending.body));
      let offset = 0;
      for (const pending of group) {
        const rows = pending.body.data.length;
        pending.done(answer(predictions.subarray(offset, offset + rows)));
        offset += rows;
      }
    } catch {
      for (const pending of group) pending.done(null);
    }
  }
  running = false;
}

function predict(text: string): Promise<string | null> {
  const body = (JSON.parse(text) as SplitBody).dataframe_split;
  if (!batching) return score([body]).then(answer);
  return new Promise((done) => {
    queue.push({ body, done });
    if (!running) {
      running = true;
      setImmediate(() => void drain());
    }
  });
}

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(200).end('\n');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    let answered: Promise<string | null>;
    try {
      answered = predict(Buffer.concat(chunks).toString('utf8'));
    } catch {
      answered = Promise.resolve(null);
    }
    answered.then(
      (body) =>
        body === null
          ? response.writeHead(500).end()
          : response.writeHead(200, { 'content-type': 'application/json' }).end(body),
      () => response.writeHead(500).end(),
    );
  });
});

server.listen(port, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`model floor listening on ${typeof address === 'object' && address ? address.port : port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void session.release();
});
