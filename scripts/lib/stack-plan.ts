/**
 * What the root `npm start` runs, as data: the services and the default model, what each needs, its port and
 * readiness URL, and which of them a command line selects. No processes here, so the runner's decisions are
 * testable without starting anything (scripts/stack.ts does the running).
 */
import { parseArgs } from 'node:util';

/** A long-running service the runner starts as its own process. */
export interface ServiceStep {
  kind: 'service';
  name: string;
  /** Steps that must be ready before this one starts. */
  needs: readonly string[];
  entry: string;
  port: number;
  /** The variable that sets the port, named when the port is taken. */
  portVariable: string;
  env: Record<string, string>;
  /** Answers below 500 once the service can serve. */
  readyPath: string;
  /** Where a user opens it; the emulator has no API docs. */
  docsPath?: string;
}

/** The model directory the model server loads: MODEL_URI when set, else the default model, trained when missing. */
export interface ModelStep {
  kind: 'model';
  name: 'model';
  needs: readonly string[];
  /** The user's MODEL_URI; undefined means the default model. */
  modelUri?: string;
}

export type StackStep = ServiceStep | ModelStep;

export interface PortSetting {
  variable: string;
  defaultPort: number;
  service: string;
}

export const PORT_SETTINGS: readonly PortSetting[] = [
  { variable: 'MET_EMULATOR_PORT', defaultPort: 8090, service: 'met-emulator' },
  { variable: 'ART_SEARCH_PORT', defaultPort: 8000, service: 'art-search' },
  { variable: 'MODEL_SERVER_PORT', defaultPort: 8080, service: 'model-server' },
  { variable: 'PRICE_ORCHESTRATOR_PORT', defaultPort: 8001, service: 'price-orchestrator' },
];

/** A command line or setting the runner cannot act on; the message is for the user. */
export class StackUsageError extends Error {}

function readPort(env: NodeJS.ProcessEnv, setting: PortSetting): number {
  const text = env[setting.variable];
  if (text === undefined || text === '') return setting.defaultPort;
  const port = Number(text);
  // Port 0 would make the service pick one, and the table, the readiness check and the dependents need to know it.
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new StackUsageError(`${setting.variable} must be a port number from 1 to 65535 (got "${text}").`);
  }
  return port;
}

/**
 * Every step of the stack, dependencies first (the order the table lists them in).
 *
 * @throws StackUsageError when a port variable is not a port.
 */
export function stackSteps(env: NodeJS.ProcessEnv): StackStep[] {
  const [emulatorPort, artSearchPort, modelServerPort, orchestratorPort] = PORT_SETTINGS.map((setting) =>
    readPort(env, setting),
  ) as [number, number, number, number];
  // The emulator has its own drain-free shutdown; the services get the drain period set to 0 explicitly, as nobody
  // routes traffic away from a laptop's process before stopping it.
  const serviceEnv = { ENV: 'local', SHUTDOWN_DRAIN_MS: '0' };
  const modelUri = env.MODEL_URI === '' ? undefined : env.MODEL_URI;
  return [
    {
      kind: 'service',
      name: 'met-emulator',
      needs: [],
      entry: 'tools/met-emulator/src/main.ts',
      port: emulatorPort,
      portVariable: 'MET_EMULATOR_PORT',
      env: { MET_EMULATOR_PORT: String(emulatorPort), SHUTDOWN_DRAIN_MS: '0' },
      readyPath: '/public/collection/v1/departments',
    },
    {
      kind: 'service',
      name: 'art-search',
      needs: ['met-emulator'],
      entry: 'services/art-search/src/server.ts',
      port: artSearchPort,
      portVariable: 'ART_SEARCH_PORT',
      env: { ...serviceEnv, PORT: String(artSearchPort), MET_API_URL: `http://127.0.0.1:${emulatorPort}` },
      readyPath: '/health/ready',
      docsPath: '/docs',
    },
    { kind: 'model', name: 'model', needs: [], ...(modelUri === undefined ? {} : { modelUri }) },
    {
      kind: 'service',
      name: 'model-server',
      needs: ['model'],
      entry: 'services/model-server/src/server.ts',
      port: modelServerPort,
      portVariable: 'MODEL_SERVER_PORT',
      // MODEL_URI is added once the model step has its directory.
      env: { ...serviceEnv, PORT: String(modelServerPort) },
      readyPath: '/health/ready',
      docsPath: '/docs',
    },
    {
      kind: 'service',
      name: 'price-orchestrator',
      needs: ['model-server'],
      entry: 'services/price-orchestrator/src/server.ts',
      port: orchestratorPort,
      portVariable: 'PRICE_ORCHESTRATOR_PORT',
      env: { ...serviceEnv, PORT: String(orchestratorPort), MODEL_SERVER_URL: `http://127.0.0.1:${modelServerPort}` },
      readyPath: '/health/ready',
      docsPath: '/docs',
    },
  ];
}

/** The names a user can ask for: the services (the model is never run alone, it is what the model server needs). */
export function serviceNames(steps: readonly StackStep[]): string[] {
  return steps.filter((step) => step.kind === 'service').map((step) => step.name);
}

/**
 * The requested steps and everything they need, in the order of `steps`; all of them when none is requested.
 *
 * @throws StackUsageError naming the unknown names.
 */
export function selectSteps<T extends { name: string; needs: readonly string[] }>(
  steps: readonly T[],
  requested: readonly string[],
  selectable: readonly string[] = steps.map((step) => step.name),
): T[] {
  if (requested.length === 0) return [...steps];
  const unknown = requested.filter((name) => !selectable.includes(name));
  if (unknown.length > 0) {
    throw new StackUsageError(`Unknown service${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}.`);
  }
  const byName = new Map(steps.map((step) => [step.name, step]));
  const chosen = new Set<string>();
  const visit = (name: string): void => {
    if (chosen.has(name)) return;
    const step = byName.get(name);
    if (!step) throw new Error(`the stack has no step "${name}"`);
    chosen.add(name);
    for (const need of step.needs) visit(need);
  };
  for (const name of requested) visit(name);
  return steps.filter((step) => chosen.has(step.name));
}

/** The selected steps that need `name` directly: they stop before it does. */
export function dependentsOf<T extends { name: string; needs: readonly string[] }>(
  steps: readonly T[],
  name: string,
): T[] {
  return steps.filter((step) => step.needs.includes(name));
}

/**
 * Two services on one port would fail late and confusingly (the second one cannot listen, or the first one's
 * readiness answers for it).
 *
 * @throws StackUsageError naming the variables that share a port.
 */
export function checkDistinctPorts(steps: readonly StackStep[]): void {
  const services = steps.filter((step): step is ServiceStep => step.kind === 'service');
  for (const [index, service] of services.entries()) {
    const other = services.slice(index + 1).find((candidate) => candidate.port === service.port);
    if (other) {
      throw new StackUsageError(
        `${service.portVariable} and ${other.portVariable} are both ${service.port}; give each service its own port.`,
      );
    }
  }
}

export interface StackArgs {
  help: boolean;
  watch: boolean;
  names: string[];
}

/** @throws StackUsageError for an unknown flag. */
export function parseStackArgs(argv: readonly string[]): StackArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { help: { type: 'boolean', short: 'h' }, watch: { type: 'boolean' } },
    });
    return { help: values.help ?? false, watch: values.watch ?? false, names: positionals };
  } catch (error) {
    throw new StackUsageError((error as Error).message);
  }
}

export function usage(steps: readonly StackStep[]): string {
  const names = serviceNames(steps);
  const ports = PORT_SETTINGS.map(
    (setting) => `  ${setting.variable.padEnd(24)} ${setting.service} (default ${setting.defaultPort})`,
  );
  return [
    'Usage: npm start [-- [--watch] [service ...]]     (npm run dev = npm start -- --watch)',
    '',
    'Runs the system locally (ENV=local, offline): each service once what it needs is ready, then prints a table',
    'of URLs. With service names, only those and what they need; without, all of them.',
    '',
    `Services: ${names.join(', ')}`,
    '  art-search needs met-emulator; model-server needs the model (the default one is trained on first use);',
    '  price-orchestrator needs model-server.',
    '',
    'Options:',
    '  --watch    restart a service when its sources change',
    '  -h, --help this text',
    '',
    'Environment:',
    ...ports,
    '  MODEL_URI                an MLflow model directory to serve instead of the default model',
    '  STACK_LOG_DIR            where each service logs (default .cache/stack)',
    '  STACK_READY_TIMEOUT_MS   how long a service may take to become ready (default 60000)',
    '  STACK_STOP_TIMEOUT_MS    how long a service may take to stop before SIGKILL (default 10000)',
    '',
    'Ctrl-C (or SIGTERM) stops the services, dependents first.',
  ].join('\n');
}
