/**
 * `npm run bench:price`: what the price orchestrator adds in front of the model server, on loopback. The model
 * server (batching as configured by default) and the orchestrator run in their own processes, started once;
 * autocannon runs here. Each pair sends the same houses two ways, measured in the same run so the ratio means
 * something on whatever machine runs it:
 * - one house per request: `POST /api/v1/price/predict` on the orchestrator vs. the house's row as a 1-row
 *   `dataframe_split` on the model server's `POST /invocations`;
 * - a batch per request: `POST /api/v1/price/predict/batch` with `--batch-size` houses vs. the same rows as one
 *   `dataframe_split`.
 * The houses are validation rows of the Ames data (`splitTrainValidation`) turned into API houses by the inverse of
 * the orchestrator's field table (`houseFromRow`); the bench checks that both ways give the same prices first.
 * The two sides of a pair take turns in short slices, so a busy spell of a shared machine hits both.
 *
 * Settings (flag, else environment variable): --duration / BENCH_DURATION (seconds per measured run, default 10),
 * --warmup / BENCH_WARMUP (seconds of warm-up before each, default 2), --connections / BENCH_CONNECTIONS (comma
 * list, default 1,32), --batch-size / BENCH_BATCH_SIZE (default 100), --rounds / BENCH_ROUNDS (slices each side's
 * measured seconds are cut into, default 5), --log-level / BENCH_LOG_LEVEL (both services', default info: the
 * production level, one JSON line per request, written to /dev/null). A quick run:
 * `npm run bench:price -- --duration 2 --warmup 1`.
 */
import { parseArgs } from 'node:util';
import {
  DEFAULT_DATA_PATH,
  ensureDefaultModel,
  loadDataset,
  type RawColumn,
  splitTrainValidation,
  toSplitFrame,
} from '@mlms/housing-price-model';
import { readOnnxMlflowModel, type SplitFrame } from '@mlms/mlflow-model';
import type autocannon from 'autocannon';
import { houseFromRow } from '../../services/price-orchestrator/tests/support/houses.js';
import {
  formatMs,
  type LoadResult,
  loadAverage,
  machineLine,
  measureLoads,
  processCpuSeconds,
  verdict,
} from './lib/load.js';
import { BenchProcesses } from './lib/servers.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string' },
    warmup: { type: 'string' },
    connections: { type: 'string' },
    'batch-size': { type: 'string' },
    'log-level': { type: 'string' },
    rounds: { type: 'string' },
  },
});
const duration = Number(flags.duration ?? process.env.BENCH_DURATION ?? 10);
const warmupSeconds = Number(flags.warmup ?? process.env.BENCH_WARMUP ?? 2);
const connectionCounts = (flags.connections ?? process.env.BENCH_CONNECTIONS ?? '1,32').split(',').map(Number);
const batchSize = Number(flags['batch-size'] ?? process.env.BENCH_BATCH_SIZE ?? 100);
const logLevel = flags['log-level'] ?? process.env.BENCH_LOG_LEVEL ?? 'info';
const rounds = Number(flags.rounds ?? process.env.BENCH_ROUNDS ?? 5);
const counts = [batchSize, rounds, ...connectionCounts];
if (!(duration > 0 && warmupSeconds >= 0 && counts.every((count) => Number.isInteger(count) && count >= 1)))
  throw new Error(
    '--duration takes seconds > 0, --warmup >= 0; --batch-size, --rounds and --connections whole numbers >= 1',
  );
/** Distinct bodies in rotation per kind of request. */
const SINGLE_BODIES = 50;
const MAX_BATCH_BODIES = 5;
const ports = { modelServer: 18095, orchestrator: 18096 };
const modelServerUrl = `http://127.0.0.1:${ports.modelServer}`;
const orchestratorUrl = `http://127.0.0.1:${ports.orchestrator}`;
const processes = new BenchProcesses();

/**
 * Targets: orchestrator single-house throughput vs. direct under concurrent load, and the p50 it adds to one house at
 * 1 connection.
 */
const MIN_SINGLE_RATIO = 0.7;
const MAX_ADDED_P50_MS = 1;

interface Bodies {
  /** The orchestrator's request bodies and the model server's, one to one. */
  orchestrator: string[];
  direct: string[];
}

interface Pair {
  kind: 'single' | 'batch';
  connections: number;
  direct: LoadResult;
  orchestrator: LoadResult;
  /** CPU seconds each service used during each side's measured slices (absent without /proc). */
  cpu: { direct: ServiceCpu; orchestrator: ServiceCpu } | undefined;
}

interface ServiceCpu {
  modelServer: number;
  orchestrator: number;
}

/** Waits for a 200 (the orchestrator answers 503 on /health/ready until it has checked the model's signature). */
async function waitForOk(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
}

const splitBody = (frame: SplitFrame) =>
  JSON.stringify({ dataframe_split: { columns: frame.columns, data: frame.data } });

async function postJson<T>(url: string, body: string | undefined): Promise<T> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Whether the orchestrator's price is the model server's for the same row, rounded to cents as the API does. */
const samePrice = (price: number | undefined, direct: number | undefined) =>
  price !== undefined && direct !== undefined && Math.abs(price - Math.round(direct * 100) / 100) < 0.005;

interface Predictions {
  predictions: number[];
}

/** Sends the first body of each kind both ways and checks the prices agree, so both sides do the same work. */
async function checkAgreement(single: Bodies, batch: Bodies): Promise<void> {
  const invocations = `${modelServerUrl}/invocations`;
  const one = await postJson<{ predictedPrice: number }>(
    `${orchestratorUrl}/api/v1/price/predict`,
    single.orchestrator[0],
  );
  const oneDirect = await postJson<Predictions>(invocations, single.direct[0]);
  const many = await postJson<{ predictions: { predictedPrice: number }[] }>(
    `${orchestratorUrl}/api/v1/price/predict/batch`,
    batch.orchestrator[0],
  );
  const manyDirect = await postJson<Predictions>(invocations, batch.direct[0]);
  const agree =
    samePrice(one.predictedPrice, oneDirect.predictions[0]) &&
    many.predictions.length === manyDirect.predictions.length &&
    many.predictions.every((prediction, index) => samePrice(prediction.predictedPrice, manyDirect.predictions[index]));
  if (!agree) throw new Error('the orchestrator and the model server disagree on the prices of the same houses');
}

function loadOptions(url: string, bodies: string[], connections: number): autocannon.Options {
  return {
    url,
    connections,
    requests: bodies.map((body) => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } })),
  };
}

async function main(): Promise<void> {
  const modelDir = await ensureDefaultModel();
  const model = await readOnnxMlflowModel(modelDir);
  const dataset = await loadDataset(DEFAULT_DATA_PATH);
  const inputColumns = model.signature.inputs.map((input) => dataset.columns.find((c) => c.name === input.name));
  if (!inputColumns.every((column): column is RawColumn => column !== undefined))
    throw new Error(`${DEFAULT_DATA_PATH} lacks some input columns of ${modelDir}`);
  const { validation, validationIndices } = splitTrainValidation(dataset.rows);
  const houses = validation.map((row, index) => houseFromRow(`ames-${validationIndices[index]}`, row));

  const single: Bodies = {
    orchestrator: houses.slice(0, SINGLE_BODIES).map((house) => JSON.stringify(house)),
    direct: validation.slice(0, SINGLE_BODIES).map((row) => splitBody(toSplitFrame([row], inputColumns))),
  };
  const batches = Math.max(1, Math.min(MAX_BATCH_BODIES, Math.floor(validation.length / batchSize)));
  const batch: Bodies = { orchestrator: [], direct: [] };
  for (let index = 0; index < batches; index++) {
    const rows = Array.from({ length: batchSize }, (_, offset) => (index * batchSize + offset) % validation.length);
    batch.orchestrator.push(JSON.stringify({ houses: rows.map((row) => houses[row]) }));
    batch.direct.push(splitBody(toSplitFrame(rows.map((row) => validation[row]) as typeof validation, inputColumns)));
  }
  const kib = (body: string | undefined) => `${(Buffer.byteLength(body ?? '') / 1024).toFixed(1)} KiB`;

  process.stdout.write(
    `bench:price — ${modelDir}\n` +
      `machine: ${machineLine()}\n` +
      `load runs: ${duration} s each (in ${rounds} turns of ${(duration / rounds).toFixed(1)} s, direct and ` +
      `orchestrator alternating) after ${warmupSeconds} s warm-up, at ${connectionCounts.join(' and ')} ` +
      `connection(s); both services log at ${logLevel} (to /dev/null); the model server batches as configured ` +
      'by default\n' +
      `single: ${single.orchestrator.length} validation houses in rotation (orchestrator ` +
      `${kib(single.orchestrator[0])}, dataframe_split ${kib(single.direct[0])} per request)\n` +
      `batch: ${batch.orchestrator.length} batches of ${batchSize} validation houses in rotation (orchestrator ` +
      `${kib(batch.orchestrator[0])}, dataframe_split ${kib(batch.direct[0])} per request)\n`,
  );

  const modelServer = await processes.start(
    'services/model-server/src/server.ts',
    {
      ENV: 'local',
      LOG_LEVEL: logLevel,
      LOG_PRETTY: 'false',
      PORT: String(ports.modelServer),
      MODEL_URI: modelDir,
      PAYLOAD_LOG_ENABLED: 'false',
    },
    `${modelServerUrl}/ping`,
  );
  const orchestratorProcess = await processes.start(
    'services/price-orchestrator/src/server.ts',
    {
      ENV: 'local',
      LOG_LEVEL: logLevel,
      LOG_PRETTY: 'false',
      PORT: String(ports.orchestrator),
      MODEL_SERVER_URL: modelServerUrl,
    },
    `${orchestratorUrl}/health/live`,
  );
  await waitForOk(`${orchestratorUrl}/health/ready`);
  await checkAgreement(single, batch);
  process.stdout.write('the orchestrator and the model server agree on the prices of the same houses\n');

  const cpuNow = (): ServiceCpu | undefined => {
    const model = processCpuSeconds(modelServer.pid);
    const orchestrator = processCpuSeconds(orchestratorProcess.pid);
    return model === undefined || orchestrator === undefined ? undefined : { modelServer: model, orchestrator };
  };
  const pairs: Pair[] = [];
  for (const [kind, bodies, path] of [
    ['single', single, '/api/v1/price/predict'],
    ['batch', batch, '/api/v1/price/predict/batch'],
  ] as const) {
    for (const connections of connectionCounts) {
      // Direct and orchestrator take turns in short slices: whatever else runs on the machine hits both alike.
      // What each service's process spent during each side's slices, for CPU per request.
      const spent: [ServiceCpu, ServiceCpu] = [
        { modelServer: 0, orchestrator: 0 },
        { modelServer: 0, orchestrator: 0 },
      ];
      let cpuKnown = true;
      const aroundSlice = (side: number) => {
        const before = cpuNow();
        return () => {
          const after = cpuNow();
          const total = spent[side] as ServiceCpu;
          if (before === undefined || after === undefined) cpuKnown = false;
          else {
            total.modelServer += after.modelServer - before.modelServer;
            total.orchestrator += after.orchestrator - before.orchestrator;
          }
        };
      };
      const [direct, orchestrator] = (await measureLoads(
        [
          loadOptions(`${modelServerUrl}/invocations`, bodies.direct, connections),
          loadOptions(`${orchestratorUrl}${path}`, bodies.orchestrator, connections),
        ],
        { warmupSeconds, durationSeconds: duration, rounds, aroundSlice },
      )) as [LoadResult, LoadResult];
      const cpu = cpuKnown ? { direct: spent[0], orchestrator: spent[1] } : undefined;
      pairs.push({ kind, connections, direct, orchestrator, cpu });
      process.stderr.write(`  done: ${kind}, ${connections} connection(s)\n`);
    }
  }

  const line = (cells: string[]) =>
    `${cells[0]?.padEnd(38)}${cells
      .slice(1)
      .map((cell) => cell.padStart(10))
      .join('')}`;
  const added = (pair: Pair) => pair.orchestrator.p50 - pair.direct.p50;
  const ratio = (pair: Pair) => pair.orchestrator.requestsPerSecond / pair.direct.requestsPerSecond;
  process.stdout.write(
    `\n${line(['', 'conns', 'req/s', 'p50 ms', 'p99 ms', 'non-2xx', 'errors', 'ratio', '+p50 ms'])}\n`,
  );
  for (const pair of pairs) {
    const what = pair.kind === 'single' ? '1 house' : `${batchSize} houses`;
    const row = (name: string, result: LoadResult, extra: string[]) =>
      line([
        name,
        String(pair.connections),
        result.requestsPerSecond.toFixed(0),
        formatMs(result.p50),
        formatMs(result.p99),
        String(result.non2xx),
        String(result.errors),
        ...extra,
      ]);
    process.stdout.write(
      `${row(`direct, ${what} (dataframe_split)`, pair.direct, ['', ''])}\n` +
        `${row(`orchestrator, ${what}`, pair.orchestrator, [
          `${ratio(pair).toFixed(2)}x`,
          `${added(pair) >= 0 ? '+' : ''}${formatMs(added(pair))}`,
        ])}\n`,
    );
  }
  process.stdout.write(
    `ratio: orchestrator req/s / direct req/s; +p50: orchestrator p50 - direct p50; load average at the end ` +
      `${loadAverage()}\n`,
  );
  // CPU per request does not drift with the machine's speed the way req/s does, and says where the time goes.
  const perRequest = (seconds: number, result: LoadResult) =>
    result.responses > 0 ? ((seconds * 1e6) / result.responses).toFixed(0) : '-';
  const cpuLines = pairs.flatMap((pair) => {
    if (!pair.cpu) return [];
    const what = pair.kind === 'single' ? '1 house' : `${batchSize} houses`;
    return [
      `  ${what}, ${pair.connections} connection(s): direct: model server ${perRequest(
        pair.cpu.direct.modelServer,
        pair.direct,
      )}; through the orchestrator: orchestrator ${perRequest(
        pair.cpu.orchestrator.orchestrator,
        pair.orchestrator,
      )} + model server ${perRequest(pair.cpu.orchestrator.modelServer, pair.orchestrator)}\n`,
    ];
  });
  if (cpuLines.length > 0) {
    process.stdout.write(`\nCPU per request (µs, from /proc, each service's process):\n${cpuLines.join('')}`);
  }

  // Throughput is a property of a loaded service: the ratio target applies with concurrent clients. One client that
  // waits for each answer measures latency instead (req/s = 1 / latency), which the added-p50 target covers; there
  // 0.7x would leave the whole extra hop 0.43x of the direct call's p50, well under the 1 ms it is allowed.
  const singles = pairs.filter((pair) => pair.kind === 'single');
  const ratioLines = singles.map((pair) =>
    pair.connections > 1
      ? `  single house at ${pair.connections} connections: throughput >= ${MIN_SINGLE_RATIO}x direct: ` +
        `${ratio(pair).toFixed(2)}x ${verdict(ratio(pair) >= MIN_SINGLE_RATIO)}\n`
      : `  single house at 1 connection: throughput ${ratio(pair).toFixed(2)}x direct (latency-bound, no throughput ` +
        `target: ${MIN_SINGLE_RATIO}x would need an added p50 <= ${formatMs(
          pair.direct.p50 * (1 / MIN_SINGLE_RATIO - 1),
        )} ms)\n`,
  );
  // Added latency is the orchestrator's own time where nothing queues: one connection. With more connections the
  // p50 difference is mostly queueing, which the throughput ratio already measures.
  const latencyLines = pairs
    .filter((pair) => pair.connections === 1)
    .map((pair) => {
      const what = pair.kind === 'single' ? 'single house' : `batch of ${batchSize}`;
      const outcome = pair.kind === 'single' ? verdict(added(pair) <= MAX_ADDED_P50_MS) : '(no target)';
      return `  ${what} at 1 connection: added p50 <= ${MAX_ADDED_P50_MS} ms: ${formatMs(added(pair))} ms ${outcome}\n`;
    });
  process.stdout.write(`\ntargets:\n${ratioLines.join('')}${latencyLines.join('')}`);
}

try {
  await main();
} finally {
  await processes.stopAll();
}
