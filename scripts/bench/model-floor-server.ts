/**
 * The overhead floor for `bench:model`: a bare node:http server that answers `POST /invocations` with a
 * `dataframe_split` body by `JSON.parse`, one `[N]` tensor per signature column (float64 for numeric columns, string
 * for text ones; null becomes NaN or '') and one run of the same ONNX Runtime session the model server opens, and
 * nothing else: no validation, logging, metrics, batching or error mapping.
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

async function predict(body: string): Promise<string> {
  const { columns, data } = (JSON.parse(body) as SplitBody).dataframe_split;
  const rows = data.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const input of inputs) {
    const index = columns.indexOf(input.name);
    if (input.text) {
      const values = new Array<string>(rows);
      for (let row = 0; row < rows; row++) values[row] = ((data[row] as unknown[])[index] as string | null) ?? '';
      feeds[input.name] = new ort.Tensor('string', values, [rows]);
    } else {
      const values = new Float64Array(rows);
      for (let row = 0; row < rows; row++)
        values[row] = ((data[row] as unknown[])[index] as number | null) ?? Number.NaN;
      feeds[input.name] = new ort.Tensor('float64', values, [rows]);
    }
  }
  const results = await session.run(feeds);
  const predictions = (results[outputName] as ort.Tensor).data as Float32Array;
  return `{"predictions":[${predictions.join(',')}]}`;
}

const server = createServer((request, response) => {
  if (request.method !== 'POST') {
    response.writeHead(200).end('\n');
    return;
  }
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    predict(Buffer.concat(chunks).toString('utf8')).then(
      (body) => response.writeHead(200, { 'content-type': 'application/json' }).end(body),
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
