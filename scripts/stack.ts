/**
 * Runs the whole system locally on its offline defaults: the Met emulator, art-search, the model server and the
 * price orchestrator in ENV=local, after making sure the default housing price model exists (trained on first use, a few seconds).
 * `npm start` runs it from the TypeScript sources; `npm run dev` (`--watch`) restarts a service when its code
 * changes. Ctrl-C stops everything cleanly.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { relative } from 'node:path';
import { startTypeScript, stopChild, waitForHttp } from './lib/processes.js';

interface ServiceSpec {
  name: string;
  entry: string;
  port: number;
  env: Record<string, string>;
  readyPath: string;
}

const watch = process.argv.includes('--watch');
const emulatorPort = Number(process.env.MET_EMULATOR_PORT ?? 8090);
const artSearchPort = Number(process.env.ART_SEARCH_PORT ?? 8000);
const modelServerPort = Number(process.env.MODEL_SERVER_PORT ?? 8080);
const orchestratorPort = Number(process.env.PRICE_ORCHESTRATOR_PORT ?? 8001);

const services: ServiceSpec[] = [
  {
    name: 'met-emulator',
    entry: 'tools/met-emulator/src/main.ts',
    port: emulatorPort,
    env: { MET_EMULATOR_PORT: String(emulatorPort) },
    readyPath: '/public/collection/v1/departments',
  },
  {
    name: 'art-search',
    entry: 'services/art-search/src/server.ts',
    port: artSearchPort,
    env: { ENV: 'local', PORT: String(artSearchPort), MET_API_URL: `http://127.0.0.1:${emulatorPort}` },
    readyPath: '/health/ready',
  },
  {
    name: 'model-server',
    entry: 'services/model-server/src/server.ts',
    port: modelServerPort,
    // MODEL_URI is filled in once the default model exists (or points at the user's own model directory).
    env: { ENV: 'local', PORT: String(modelServerPort) },
    readyPath: '/health/ready',
  },
  {
    name: 'price-orchestrator',
    entry: 'services/price-orchestrator/src/server.ts',
    port: orchestratorPort,
    env: { ENV: 'local', PORT: String(orchestratorPort), MODEL_SERVER_URL: `http://127.0.0.1:${modelServerPort}` },
    readyPath: '/health/ready',
  },
];

const children = new Map<string, ChildProcess>();
let stopping = false;

async function main(): Promise<void> {
  for (const service of services) {
    if (!(await isPortFree(service.port))) {
      fail(
        `port ${service.port} for ${service.name} is in use (is another \`npm start\` running?). ` +
          'Choose other ports with MET_EMULATOR_PORT / ART_SEARCH_PORT / MODEL_SERVER_PORT / PRICE_ORCHESTRATOR_PORT.',
      );
    }
  }
  // `on`, not `once`: Ctrl-C reaches this process twice (from the terminal and relayed by npm/tsx), and a second
  // signal without a handler would kill it before it has stopped the services.
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  // Imported here, not at the top: only this step needs ONNX Runtime and the training code.
  const { ensureDefaultModel } = await import('@mlms/housing-price-model');
  const modelDir =
    process.env.MODEL_URI ?? (await ensureDefaultModel({ log: (line) => process.stdout.write(`${line}\n`) }));
  const modelServer = services.find((service) => service.name === 'model-server');
  if (modelServer) modelServer.env.MODEL_URI = modelDir;

  for (const service of services) {
    start(service);
    await waitUntilReady(service);
  }
  const url = `http://localhost:${artSearchPort}`;
  const modelUrl = `http://localhost:${modelServerPort}`;
  const shownModelDir = relative(process.cwd(), modelDir) || '.';
  process.stdout.write(
    [
      '',
      `  The system is up (ENV=local, Met emulator on http://localhost:${emulatorPort}).`,
      `  Art search docs:   ${url}/docs`,
      `  Sample search:     ${url}/api/search?title=The%20Death%20of%20Socrates`,
      `  Art search MCP:    ${url}/mcp   (Streamable HTTP; stdio: npm run -s mcp)`,
      `  Model server docs: ${modelUrl}/docs   (model: ${shownModelDir})`,
      `  Sample prediction: curl -X POST ${modelUrl}/invocations -H 'Content-Type: application/json' -d @${shownModelDir}/serving_input_example.json`,
      `  Price API docs:    http://localhost:${orchestratorPort}/docs`,
      `  Metrics:           ${url}/metrics, ${modelUrl}/metrics, http://localhost:${orchestratorPort}/metrics`,
      `  ${watch ? 'Watching for changes. ' : ''}Press Ctrl-C to stop.`,
      '',
    ].join('\n'),
  );
}

function start(service: ServiceSpec): void {
  const child = startTypeScript(service.entry, { env: service.env, watch, stdio: ['ignore', 'inherit', 'inherit'] });
  children.set(service.name, child);
  child.on('exit', (code, signal) => {
    children.delete(service.name);
    if (!stopping) {
      process.stderr.write(`${service.name} exited unexpectedly (${signal ?? `code ${code}`}); stopping the rest.\n`);
      void stop(1);
    }
  });
}

async function waitUntilReady(service: ServiceSpec, timeoutMs = 30_000): Promise<void> {
  if (await waitForHttp(`http://127.0.0.1:${service.port}${service.readyPath}`, timeoutMs, () => stopping)) return;
  if (stopping) return;
  process.stderr.write(`${service.name} did not become ready within ${timeoutMs / 1000} s.\n`);
  await stop(1);
}

async function stop(exitCode: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  // Stop in reverse start order: the service first, then what it depends on.
  for (const service of [...services].reverse()) {
    const child = children.get(service.name);
    if (child) await stopChild(child);
  }
  process.exit(exitCode);
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', () => resolve(false))
      .once('listening', () => probe.close(() => resolve(true)))
      .listen(port, '127.0.0.1');
  });
}

function fail(message: string): never {
  process.stderr.write(`npm start: ${message}\n`);
  process.exit(1);
}

await main();
