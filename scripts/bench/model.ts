/**
 * `npm run bench:model`: the model server's throughput and latency on loopback, next to a bare node:http +
 * onnxruntime-node handler scoring the same model (the floor) and to ONNX Runtime called in this process, all
 * measured in one run so the ratios mean something on whatever machine runs it. Each server runs in its own
 * process, started fresh; autocannon and the sequential client run here.
 *
 * Measured: 1-row `dataframe_split` requests at 1 and 32 connections against the floor, the floor with the model
 * server's batching (and still nothing else: what batching alone gives on this machine), and the model server with
 * batching off and on; one 1,000-row request (real Ames rows), sent sequentially; and `session.run` in this
 * process with prebuilt tensors for 1 and 1,000 rows.
 *
 * Settings (flag, else environment variable): --duration / BENCH_DURATION (seconds per load, default 10),
 * --warmup / BENCH_WARMUP (seconds of warm-up of each server, default 2), --rounds / BENCH_ROUNDS (turns the
 * measured seconds are cut into, the servers alternating, default 5), --large-requests / BENCH_LARGE_REQUESTS
 * (measured 1,000-row requests, default 20), --large-rows / BENCH_LARGE_ROWS (default 1000), --port / BENCH_PORT
 * (the first of four ports, default 18093: the floor, the floor with batching, the model server with batching off,
 * on). A quick run: `npm run bench:model -- --duration 2 --warmup 1`.
 */
import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  DEFAULT_DATA_PATH,
  ensureDefaultModel,
  loadDataset,
  type RawColumn,
  toSplitFrame,
} from '@mlms/housing-price-model';
import { type OnnxMlflowModel, readOnnxMlflowModel, type SplitFrame } from '@mlms/mlflow-model';
import type autocannon from 'autocannon';
import * as ort from 'onnxruntime-node';
import {
  formatMs,
  loadAverage,
  type LoadResult as MeasuredLoad,
  machineLine,
  measureLoads,
  percentile,
  verdict,
} from './lib/load.js';
import { BenchProcesses } from './lib/servers.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    'large-requests': { type: 'string' },
    'large-rows': { type: 'string' },
    port: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const duration = Number(flags.duration ?? process.env.BENCH_DURATION ?? 10);
const warmupSeconds = Number(flags.warmup ?? process.env.BENCH_WARMUP ?? 2);
const largeRequests = Number(flags['large-requests'] ?? process.env.BENCH_LARGE_REQUESTS ?? 20);
const largeRows = Number(flags['large-rows'] ?? process.env.BENCH_LARGE_ROWS ?? 1000);
const rounds = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? 5);
const connectionCounts = [1, 32] as const;
const firstPort = Number(flags.port ?? process.env.BENCH_PORT ?? 18093);
// The model server's session options (config.yaml: sessionThreads 1).
const sessionOptions: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  logSeverityLevel: 3,
  intraOpNumThreads: 1,
};
const processes = new BenchProcesses();

interface LoadResult extends MeasuredLoad {
  name: string;
  connections: number;
}

interface Target {
  name: string;
  port: number;
}

function sortedTimes(times: readonly number[]): Float64Array {
  return Float64Array.from(times).sort();
}

/** The load of 1-row requests cycling through `bodies` on a target. */
function loadOn(port: number, bodies: string[], connections: number): autocannon.Options {
  return {
    url: `http://127.0.0.1:${port}/invocations`,
    connections,
    requests: bodies.map((body) => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } })),
  };
}

/** One POST over a kept-alive connection; resolves with the answer and the time from sending to the last byte. */
function post(agent: Agent, port: number, body: string): Promise<{ ms: number; status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const request = httpRequest(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/invocations',
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            ms: performance.now() - started,
            status: response.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * The large request sent to each target in turn and `session.run` on the same rows in this process, one after
 * another, `largeRequests` times (after 3 unmeasured rounds), so every p50 comes from the same stretch of time.
 */
async function interleavedLarge(
  targets: readonly Target[],
  body: string,
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<{ byTarget: { name: string; p50: number; predictions: number[] }[]; inProcessP50: number }> {
  const agents = targets.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    const times = targets.map(() => [] as number[]);
    const last = targets.map(() => '');
    const inProcess: number[] = [];
    for (let round = 0; round < largeRequests + 3; round++) {
      for (const [index, target] of targets.entries()) {
        const answer = await post(agents[index] as Agent, target.port, body);
        if (answer.status !== 200) {
          throw new Error(`${target.name}: ${largeRows}-row request answered ${answer.status}: ${answer.text}`);
        }
        if (round >= 3) times[index]?.push(answer.ms);
        last[index] = answer.text;
      }
      const started = performance.now();
      await session.run(feeds);
      if (round >= 3) inProcess.push(performance.now() - started);
    }
    return {
      byTarget: targets.map((target, index) => ({
        name: target.name,
        p50: percentile(sortedTimes(times[index] ?? []), 0.5),
        predictions: (JSON.parse(last[index] ?? '') as Prediction).predictions,
      })),
      inProcessP50: percentile(sortedTimes(inProcess), 0.5),
    };
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

interface Prediction {
  predictions: number[];
}

/** `[N]` tensors from a split frame: float64 for numeric columns, string for text ones; null is NaN or ''. */
function feedsOf(frame: SplitFrame, model: OnnxMlflowModel): Record<string, ort.Tensor> {
  const rows = frame.data.length;
  const feeds: Record<string, ort.Tensor> = {};
  for (const column of model.signature.inputs) {
    const index = frame.columns.indexOf(column.name);
    const cells = frame.data.map((row) => row[index] ?? null);
    feeds[column.name] =
      column.type === 'string'
        ? new ort.Tensor(
            'string',
            cells.map((cell) => (cell === null ? '' : String(cell))),
            [rows],
          )
        : new ort.Tensor(
            'float64',
            Float64Array.from(cells, (cell) => (cell === null ? Number.NaN : Number(cell))),
            [rows],
          );
  }
  return feeds;
}

/** p50 of `session.run` with prebuilt tensors, after a warm-up; runs for about `seconds` (at least 20 runs). */
async function inProcessP50(session: ort.InferenceSession, feeds: Record<string, ort.Tensor>, seconds: number) {
  for (let index = 0; index < 20; index++) await session.run(feeds);
  const times: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  while (times.length < 20 || performance.now() < deadline) {
    const started = performance.now();
    await session.run(feeds);
    times.push(performance.now() - started);
  }
  return { p50: percentile(sortedTimes(times), 0.5), runs: times.length };
}

/** `largeRows` real rows of the training data (cycled), or the input example repeated when columns do not match. */
async function largeFrame(model: OnnxMlflowModel, example: SplitFrame): Promise<{ frame: SplitFrame; source: string }> {
  const dataset = await loadDataset(DEFAULT_DATA_PATH);
  const columns = model.signature.inputs.map((input) => dataset.columns.find((column) => column.name === input.name));
  if (columns.every((column): column is RawColumn => column !== undefined) && dataset.rows.length > 0) {
    const rows = Array.from({ length: largeRows }, (_, index) => dataset.rows[index % dataset.rows.length]);
    return {
      frame: toSplitFrame(rows as typeof dataset.rows, columns),
      source: `rows of ${DEFAULT_DATA_PATH.split('/').slice(-2).join('/')}`,
    };
  }
  const data = Array.from({ length: largeRows }, (_, index) => example.data[index % example.data.length] ?? []);
  return { frame: { columns: example.columns, data }, source: 'the input example repeated' };
}

function body(frame: SplitFrame): string {
  return JSON.stringify({ dataframe_split: { columns: frame.columns, data: frame.data } });
}

function sameFloats(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, index) => Math.fround(value) === Math.fround(b[index] as number));
}

async function main(): Promise<void> {
  const modelDir = await ensureDefaultModel();
  const model = await readOnnxMlflowModel(modelDir);
  const example = model.inputExample;
  if (!example || example.data.length === 0) throw new Error(`${modelDir} has no input example`);
  const oneRowBodies = example.data.map((row) => body({ columns: example.columns, data: [row] }));
  const large = await largeFrame(model, example);
  const largeBody = body(large.frame);

  process.stdout.write(
    `bench:model — ${modelDir}\n` +
      `machine: ${machineLine()}, onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}\n` +
      `load runs: ${duration} s each (in ${rounds} turns, the servers alternating) after ${warmupSeconds} s ` +
      `warm-up, at ${connectionCounts.join(' and ')} connections, 1-row dataframe_split bodies (${oneRowBodies.length} input-example rows in rotation, ` +
      `${Buffer.byteLength(oneRowBodies[0] as string)} bytes)\n` +
      `large request: ${largeRows} ${large.source}, ${(Buffer.byteLength(largeBody) / 1024).toFixed(0)} KiB, ` +
      `p50 of ${largeRequests} sequential requests to each server, taking turns with in-process ONNX Runtime\n`,
  );

  // In-process ONNX Runtime for one row first, while nothing else runs.
  const session = await ort.InferenceSession.create(model.onnx.modelPath, sessionOptions);
  const ortOne = await inProcessP50(
    session,
    feedsOf({ columns: example.columns, data: [example.data[0] ?? []] }, model),
    2,
  );

  // Every server is up for the whole run, and the loads take turns in short slices, so a busy spell of a shared
  // machine (or a drift in its speed) hits all of them rather than the one measured at that moment.
  const targets: Target[] = [
    { name: 'floor (node:http + ORT)', port: firstPort },
    { name: 'floor + batching', port: firstPort + 1 },
    { name: 'model server, batching off', port: firstPort + 2 },
    { name: 'model server, batching on', port: firstPort + 3 },
  ];
  await Promise.all(
    targets.map((target, index) =>
      index < 2
        ? processes.start(
            'scripts/bench/model-floor-server.ts',
            { PORT: String(target.port), MODEL_URI: modelDir, BATCHING: String(index === 1) },
            `http://127.0.0.1:${target.port}/`,
          )
        : processes.start(
            'services/model-server/src/server.ts',
            {
              ENV: 'local',
              LOG_LEVEL: 'warn',
              LOG_PRETTY: 'false',
              PORT: String(target.port),
              MODEL_URI: modelDir,
              BATCHING_ENABLED: String(index === 3),
              PAYLOAD_LOG_ENABLED: 'false',
            },
            `http://127.0.0.1:${target.port}/ping`,
          ),
    ),
  );

  const loads: LoadResult[] = [];
  for (const connections of connectionCounts) {
    const results = await measureLoads(
      targets.map((target) => loadOn(target.port, oneRowBodies, connections)),
      { warmupSeconds, durationSeconds: duration, rounds },
    );
    results.forEach((result, index) => {
      loads.push({ name: (targets[index] as Target).name, connections, ...result });
    });
    process.stderr.write(`  done: ${connections} connection(s)\n`);
  }
  const { byTarget: largeResults, inProcessP50: ortLargeP50 } = await interleavedLarge(
    targets,
    largeBody,
    session,
    feedsOf(large.frame, model),
  );
  await session.release();
  const ortLarge = { p50: ortLargeP50, runs: largeRequests };

  const floorAt = (connections: number) =>
    loads.find((row) => row.name === targets[0]?.name && row.connections === connections) as LoadResult;
  const line = (cells: string[]) =>
    `${cells[0]?.padEnd(32)}${cells
      .slice(1)
      .map((cell) => cell.padStart(10))
      .join('')}`;
  process.stdout.write(
    `\n${line(['1-row requests', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'vs floor', 'non-2xx', 'errors'])}\n`,
  );
  for (const row of loads) {
    process.stdout.write(
      `${line([
        row.name,
        String(row.connections),
        row.requestsPerSecond.toFixed(0),
        formatMs(row.p50),
        formatMs(row.p99),
        `${(row.requestsPerSecond / floorAt(row.connections).requestsPerSecond).toFixed(2)}x`,
        String(row.non2xx),
        String(row.errors),
      ])}\n`,
    );
  }

  process.stdout.write(`\n${line([`${largeRows}-row request, sequential`, 'p50 ms', 'vs ORT'])}\n`);
  for (const row of largeResults) {
    process.stdout.write(`${line([row.name, formatMs(row.p50), `${(row.p50 / ortLarge.p50).toFixed(2)}x`])}\n`);
  }
  process.stdout.write(
    `${line([`in-process ORT, ${largeRows} rows`, formatMs(ortLarge.p50), '1.00x'])}  (${ortLarge.runs} runs)\n` +
      `${line(['in-process ORT, 1 row', formatMs(ortOne.p50), ''])}  (${ortOne.runs} runs)\n`,
  );
  const [floorLarge, ...otherLarge] = largeResults;
  const serverLarge = otherLarge.filter((row) => row.name.startsWith('model server'));
  const agree = otherLarge.every((row) => floorLarge && sameFloats(row.predictions, floorLarge.predictions));
  process.stdout.write(
    `the floors and the model server ${agree ? 'agree on' : 'DISAGREE on'} the ${largeRows} predictions; ` +
      `load average at the end ${loadAverage()}\n`,
  );

  const at = (name: string, connections: number) =>
    loads.find((row) => row.name === name && row.connections === connections) as LoadResult;
  const off32 = at('model server, batching off', 32);
  const on32 = at('model server, batching on', 32);
  const floor32 = floorAt(32);
  const offRatio = off32.requestsPerSecond / floor32.requestsPerSecond;
  const onRatio = on32.requestsPerSecond / floor32.requestsPerSecond;
  const batchingFloor32 = at('floor + batching', 32);
  const ofBatchingFloor = on32.requestsPerSecond / batchingFloor32.requestsPerSecond;
  const off1 = at('model server, batching off', 1);
  const on1 = at('model server, batching on', 1);
  const largeLines = serverLarge.map((row) => {
    const ratio = row.p50 / ortLarge.p50;
    return `  ${row.name}: ${largeRows}-row request p50 ${formatMs(row.p50)} ms = ${ratio.toFixed(2)}x in-process ORT (${formatMs(
      ortLarge.p50,
    )} ms) <= 1.3x: ${verdict(ratio <= 1.3)}\n`;
  });
  process.stdout.write(
    '\ntargets:\n' +
      `  batching off at 32 connections >= 0.8x floor: ${offRatio.toFixed(2)}x ${verdict(offRatio >= 0.8)}\n` +
      `  batching on at 32 connections >= 4x floor: ${onRatio.toFixed(2)}x ${verdict(onRatio >= 4)}\n` +
      `  batching on at 32 connections >= 10,000 req/s: ${on32.requestsPerSecond.toFixed(0)} ${verdict(
        on32.requestsPerSecond >= 10_000,
      )}\n` +
      `  (for scale: the floor with the same batching and nothing else does ${(
        batchingFloor32.requestsPerSecond / floor32.requestsPerSecond
      ).toFixed(2)}x the floor at 32 connections; the model server does ${ofBatchingFloor.toFixed(2)}x of that)\n` +
      `  p50 <= 1 ms at 1 connection: batching off ${formatMs(off1.p50)} ms ${verdict(off1.p50 <= 1)}, ` +
      `batching on ${formatMs(on1.p50)} ms ${verdict(on1.p50 <= 1)}\n` +
      largeLines.join(''),
  );
}

try {
  await main();
} finally {
  await processes.stopAll();
}
