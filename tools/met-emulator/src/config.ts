import { parseArgs } from 'node:util';
import { type BotWall, botWallSchema, describeZodError, type FaultMap, faultMapSchema } from './schemas.js';

/** Start-up settings of the CLI, from flags and environment. */
export interface CliConfig {
  host: string;
  port: number;
  faults: FaultMap;
  /** The bot wall up from the start, if any. */
  botWall?: BotWall;
  seed: number;
  logger: boolean;
}

/** Parses a JSON fault map (`{"search":{"latencyMs":50}}`), naming `source` in any error. */
export function parseFaultMap(text: string, source: string): FaultMap {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${source} is not valid JSON (${(error as Error).message}); expected e.g. {"search":{"latencyMs":50}}`,
    );
  }
  const parsed = faultMapSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source} is not a valid fault map: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Parses a JSON bot wall (`{"maxRequests":30,"windowMs":10000,"cooldownMs":60000}`), naming `source` in any error. */
export function parseBotWall(text: string, source: string): BotWall {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${source} is not valid JSON (${(error as Error).message}); expected e.g. {"maxRequests":30,"windowMs":10000,"cooldownMs":60000}`,
    );
  }
  const parsed = botWallSchema.safeParse(json);
  if (!parsed.success) throw new Error(`${source} is not a valid bot wall: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

function parsePort(text: string, source: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65_535) throw new Error(`${source} must be a port number 0-65535, got "${text}"`);
  return port;
}

/**
 * Reads the CLI configuration. Flags win over environment: `--port` over `MET_EMULATOR_PORT` over `PORT`
 * (default 8090); `--faults` entries override `MET_EMULATOR_FAULTS` entries for the same route; `--bot-wall`
 * replaces `MET_EMULATOR_BOT_WALL`.
 */
export function readCliConfig(argv: readonly string[], env: NodeJS.ProcessEnv): CliConfig {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      faults: { type: 'string' },
      'bot-wall': { type: 'string' },
      seed: { type: 'string' },
      log: { type: 'boolean' },
    },
    strict: true,
    allowPositionals: false,
  });
  const portText = values.port ?? env.MET_EMULATOR_PORT ?? env.PORT;
  const port = portText === undefined ? 8090 : parsePort(portText, values.port ? '--port' : 'MET_EMULATOR_PORT/PORT');
  const seedText = values.seed ?? env.MET_EMULATOR_SEED ?? '1';
  if (!/^\d+$/.test(seedText))
    throw new Error(`--seed / MET_EMULATOR_SEED must be a non-negative integer, got "${seedText}"`);
  const botWallText = values['bot-wall'] ?? env.MET_EMULATOR_BOT_WALL;
  return {
    ...(botWallText
      ? { botWall: parseBotWall(botWallText, values['bot-wall'] ? '--bot-wall' : 'MET_EMULATOR_BOT_WALL') }
      : {}),
    host: values.host ?? env.MET_EMULATOR_HOST ?? '127.0.0.1',
    port,
    seed: Number(seedText),
    logger: values.log ?? false,
    faults: {
      ...(env.MET_EMULATOR_FAULTS ? parseFaultMap(env.MET_EMULATOR_FAULTS, 'MET_EMULATOR_FAULTS') : {}),
      ...(values.faults ? parseFaultMap(values.faults, '--faults') : {}),
    },
  };
}
