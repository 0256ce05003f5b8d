import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * Settings every service has. A service's own schema extends this one, so host, port, logging and the
 * shutdown grace period are configured the same way everywhere.
 */
export const baseServiceConfigSchema = z.strictObject({
  host: z.string().min(1).describe('Interface to listen on.'),
  port: z.number().int().min(0).max(65_535).describe('TCP port to listen on (0 = any free port).'),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).describe('Minimum log level.'),
  logPretty: z.boolean().describe('Human-readable logs instead of JSON lines.'),
  shutdownDrainMs: z
    .number()
    .int()
    .min(0)
    .describe(
      'After SIGTERM, how long readiness answers 503 while the listener stays open and requests are still served, so ' +
        'load balancers stop routing here before connections are refused (0 = close at once).',
    ),
  shutdownGraceMs: z
    .number()
    .int()
    .min(0)
    .describe(
      'How long in-flight requests may take to finish once the listener closes before the process exits anyway.',
    ),
  requestTimeoutMs: z
    .number()
    .int()
    .min(1)
    .describe(
      'Deadline of one request: every upstream call and retry it makes shares it, and when it passes the answer is ' +
        '504 at once.',
    ),
  maxOpenConnections: z
    .number()
    .int()
    .min(1)
    .describe('Most client connections open at once; connections over it are closed as they arrive.'),
  headersTimeoutMs: z
    .number()
    .int()
    .min(1000)
    .describe("How long a client may take to send a request's headers before the connection is closed with 408."),
  keepAliveTimeoutMs: z
    .number()
    .int()
    .min(1)
    .describe('How long an idle keep-alive connection stays open waiting for the next request.'),
});

export type BaseServiceConfig = z.infer<typeof baseServiceConfigSchema>;

/** The configuration could not be loaded: the message names the file, the environment and the key. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions<Schema extends z.ZodType> {
  /** The service's YAML file: a `default` section plus one section per environment. */
  file: string | URL;
  schema: Schema;
  /** Environment to select; defaults to `$ENV`, then `local`. */
  env?: string | undefined;
  /** Variables for `${VAR:default}` placeholders; defaults to `process.env`. */
  variables?: Record<string, string | undefined>;
}

export type LoadedConfig<Schema extends z.ZodType> = z.infer<Schema> & { env: string };

const DEFAULT_SECTION = 'default';
const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}/g;
const WHOLE_PLACEHOLDER = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::([^}]*))?\}$/;

/**
 * Loads one environment's section of a service's YAML configuration, resolves `${VAR:default}` placeholders
 * and validates the result, so a bad value stops the service at start-up rather than at its first request.
 *
 * @throws ConfigError naming the key, what was wrong and what is allowed.
 */
export function loadConfig<Schema extends z.ZodType>(options: LoadConfigOptions<Schema>): LoadedConfig<Schema> {
  const variables = options.variables ?? process.env;
  // An empty ENV counts as unset, as an empty variable does for `${VAR:default}` placeholders.
  const env = options.env ?? (variables.ENV || 'local');
  const fileName = options.file instanceof URL ? fileURLToPath(options.file) : options.file;

  let text: string;
  try {
    text = readFileSync(fileName, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read configuration file ${fileName}: ${(error as Error).message}`);
  }

  let document: unknown;
  try {
    // `merge` enables YAML merge keys (`<<: *default`), which the per-environment sections rely on.
    document = parse(text, { merge: true });
  } catch (error) {
    throw new ConfigError(`Configuration file ${fileName} is not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(document)) {
    throw new ConfigError(`Configuration file ${fileName} must be a mapping of environment names to settings.`);
  }

  const environments = Object.keys(document).filter((name) => name !== DEFAULT_SECTION);
  // hasOwn, so ENV=toString or ENV=__proto__ cannot select something the file does not define.
  if (env === DEFAULT_SECTION || !Object.hasOwn(document, env)) {
    throw new ConfigError(
      `Unknown environment ENV=${JSON.stringify(env)}: ${fileName} defines ${environments.join(', ')}.`,
    );
  }
  const section = document[env];
  if (!isRecord(section)) {
    throw new ConfigError(
      `Environment ${env} in ${fileName} must be a mapping of settings (key: value lines), got ${JSON.stringify(section)}.`,
    );
  }

  const resolved = resolvePlaceholders(section, [], variables, fileName, env);
  const result = options.schema.safeParse(resolved, { reportInput: true });
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `  - ${describeIssue(issue)}`).join('\n');
    throw new ConfigError(`Invalid configuration in ${fileName} for ENV=${env}:\n${problems}`);
  }
  return { ...(result.data as object), env } as LoadedConfig<Schema>;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` in ${issue.path.join('.')}` : '';
    return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}${where}`;
  }
  const key = issue.path.length > 0 ? issue.path.join('.') : '(root)';
  // Showing the value that was read makes a wrong environment variable obvious (`port: … (got "eighty")`).
  const got = 'input' in issue && issue.input !== undefined ? ` (got ${JSON.stringify(issue.input)})` : '';
  return `${key}: ${issue.message}${got}`;
}

function resolvePlaceholders(
  value: unknown,
  path: string[],
  variables: Record<string, string | undefined>,
  fileName: string,
  env: string,
): unknown {
  if (typeof value === 'string') {
    return resolveString(value, path, variables, fileName, env);
  }
  if (Array.isArray(value)) {
    return value.map((item, index) => resolvePlaceholders(item, [...path, String(index)], variables, fileName, env));
  }
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        resolvePlaceholders(item, [...path, key], variables, fileName, env),
      ]),
    );
  }
  return value;
}

function resolveString(
  value: string,
  path: string[],
  variables: Record<string, string | undefined>,
  fileName: string,
  env: string,
): unknown {
  const lookup = (name: string, fallback: string | undefined): string => {
    const found = variables[name];
    if (found !== undefined && found !== '') return found;
    if (fallback !== undefined) return fallback;
    throw new ConfigError(
      `Invalid configuration in ${fileName} for ENV=${env}:\n  - ${path.join('.')}: environment variable ${name} is not set and has no default (write \${${name}:default}).`,
    );
  };
  const whole = WHOLE_PLACEHOLDER.exec(value);
  if (whole) {
    // A value that is only a placeholder takes the type its text spells (`${PORT:8080}` is the number 8080).
    const text = lookup(whole[1] as string, whole[2]);
    return parseScalar(text);
  }
  return value.replace(PLACEHOLDER, (_match, name: string, fallback: string | undefined) => lookup(name, fallback));
}

function parseScalar(text: string): unknown {
  try {
    const parsed: unknown = parse(text);
    return parsed === null || typeof parsed === 'object' ? text : parsed;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
