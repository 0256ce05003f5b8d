import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { baseServiceConfigSchema, ConfigError, loadConfig } from '@mlms/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';

/** The base keys these fixtures spell out; the others (drain, deadlines, connection limits) are not about loading. */
const baseShape = baseServiceConfigSchema.pick({
  host: true,
  port: true,
  logLevel: true,
  logPretty: true,
  shutdownGraceMs: true,
}).shape;

/** A service schema the way services write theirs: strict, extending the shared base. */
const serviceSchema = z.strictObject({
  ...baseShape,
  upstreamUrl: z.string().min(1),
  cacheEnabled: z.boolean(),
});

const TWO_ENVIRONMENTS = `
default: &default
  host: 0.0.0.0
  port: 8080
  logLevel: info
  logPretty: false
  shutdownGraceMs: 10000
  upstreamUrl: https://upstream.example
  cacheEnabled: true

local:
  <<: *default
  host: 127.0.0.1
  port: 8000
  logPretty: true

prod:
  <<: *default
  logLevel: warn
`;

let directory: string;

beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'service-kit-config-'));
});

afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function writeYaml(text: string, name = 'config.yaml'): string {
  const file = join(directory, name);
  writeFileSync(file, text);
  return file;
}

/** Runs `load` expecting a ConfigError and returns its message, failing the test on success or another error. */
function configErrorOf(load: () => unknown): string {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).name).toBe('ConfigError');
    return (error as Error).message;
  }
  expect.fail('expected loadConfig to throw a ConfigError');
}

describe('loadConfig environment selection', () => {
  it('selects the local section when neither env nor ENV is given', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const config = loadConfig({ file, schema: serviceSchema, variables: {} });

    // Then
    expect(config).toEqual({
      env: 'local',
      host: '127.0.0.1',
      port: 8000,
      logLevel: 'info',
      logPretty: true,
      shutdownGraceMs: 10_000,
      upstreamUrl: 'https://upstream.example',
      cacheEnabled: true,
    });
  });

  it('selects the section named by the ENV variable', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const config = loadConfig({ file, schema: serviceSchema, variables: { ENV: 'prod' } });

    // Then
    expect(config.env).toBe('prod');
    expect(config.logLevel).toBe('warn');
    expect(config.host).toBe('0.0.0.0');
  });

  it('prefers an explicit env option over the ENV variable', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const config = loadConfig({ file, schema: serviceSchema, env: 'prod', variables: { ENV: 'local' } });

    // Then
    expect(config.env).toBe('prod');
    expect(config.port).toBe(8080);
  });

  it('treats an empty ENV like an unset one and selects local', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const config = loadConfig({ file, schema: serviceSchema, variables: { ENV: '' } });

    // Then
    expect(config.env).toBe('local');
  });

  it('reads ENV from process.env when no variables are passed', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);
    const previous = process.env.ENV;
    process.env.ENV = 'prod';

    // When
    let config: ReturnType<typeof loadConfig<typeof serviceSchema>>;
    try {
      config = loadConfig({ file, schema: serviceSchema });
    } finally {
      if (previous === undefined) delete process.env.ENV;
      else process.env.ENV = previous;
    }

    // Then
    expect(config.env).toBe('prod');
  });

  it('accepts the file as a file: URL', () => {
    // Given
    const file = pathToFileURL(writeYaml(TWO_ENVIRONMENTS));

    // When
    const config = loadConfig({ file, schema: serviceSchema, env: 'prod', variables: {} });

    // Then
    expect(config.upstreamUrl).toBe('https://upstream.example');
  });

  it('lets a section override what it merges from default with <<: *default', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const local = loadConfig({ file, schema: serviceSchema, env: 'local', variables: {} });
    const prod = loadConfig({ file, schema: serviceSchema, env: 'prod', variables: {} });

    // Then
    expect([local.host, local.port, local.logPretty, local.logLevel]).toEqual(['127.0.0.1', 8000, true, 'info']);
    expect([prod.host, prod.port, prod.logPretty, prod.logLevel]).toEqual(['0.0.0.0', 8080, false, 'warn']);
  });

  it('rejects an unknown environment, listing the environments the file defines', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, variables: { ENV: 'staging' } }));

    // Then
    expect(message).toBe(`Unknown environment ENV="staging": ${file} defines local, prod.`);
  });

  it('refuses to select the default section itself', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS);

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, env: 'default', variables: {} }));

    // Then
    expect(message).toContain('Unknown environment ENV="default"');
    expect(message).toContain('defines local, prod');
  });

  it.each(['toString', '__proto__', 'constructor'])(
    'does not mistake the inherited name %s for an environment',
    (env) => {
      // Given
      const file = writeYaml(TWO_ENVIRONMENTS);

      // When
      const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, env, variables: {} }));

      // Then
      expect(message).toContain(`Unknown environment ENV="${env}"`);
    },
  );

  it('says which environment is not a mapping when its section is empty', () => {
    // Given
    const file = writeYaml('default: &default\n  host: a\nlocal:\nprod:\n  <<: *default\n');

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, env: 'local', variables: {} }));

    // Then
    expect(message).toBe(`Environment local in ${file} must be a mapping of settings (key: value lines), got null.`);
  });
});

describe(`loadConfig \${VAR:default} placeholders`, () => {
  const PLACEHOLDERS = `
local:
  host: \${HOST:127.0.0.1}
  port: \${PORT:8000}
  logLevel: \${LOG_LEVEL:info}
  logPretty: \${LOG_PRETTY:false}
  shutdownGraceMs: 5000
  upstreamUrl: http://\${UPSTREAM_HOST:localhost}:\${UPSTREAM_PORT:8090}/api
  cacheEnabled: \${CACHE_ENABLED:true}
`;

  it('uses the defaults when the variables are not set, typed as the text spells', () => {
    // Given
    const file = writeYaml(PLACEHOLDERS);

    // When
    const config = loadConfig({ file, schema: serviceSchema, variables: {} });

    // Then
    expect(config.host).toBe('127.0.0.1');
    expect(config.port).toBe(8000);
    expect(config.logPretty).toBe(false);
    expect(config.cacheEnabled).toBe(true);
    expect(config.upstreamUrl).toBe('http://localhost:8090/api');
  });

  it('turns a whole-value placeholder into a number or boolean, and keeps an embedded one as text', () => {
    // Given
    const file = writeYaml(PLACEHOLDERS);
    const variables = { PORT: '9001', CACHE_ENABLED: 'false', LOG_PRETTY: 'true', UPSTREAM_PORT: '1234' };

    // When
    const config = loadConfig({ file, schema: serviceSchema, variables });

    // Then
    expect(config.port).toBe(9001);
    expect(config.cacheEnabled).toBe(false);
    expect(config.logPretty).toBe(true);
    expect(config.upstreamUrl).toBe('http://localhost:1234/api');
  });

  it('keeps a whole-value placeholder as text when its value would read as null or a collection', () => {
    // Given
    const file = writeYaml(PLACEHOLDERS);

    // When
    const nullLike = loadConfig({ file, schema: serviceSchema, variables: { HOST: 'null' } });
    const mapLike = loadConfig({ file, schema: serviceSchema, variables: { HOST: 'a: b' } });
    const unparsable = loadConfig({ file, schema: serviceSchema, variables: { HOST: '[unclosed' } });

    // Then
    expect(nullLike.host).toBe('null');
    expect(mapLike.host).toBe('a: b');
    expect(unparsable.host).toBe('[unclosed');
  });

  it('treats an empty variable as unset and falls back to the default', () => {
    // Given
    const file = writeYaml(PLACEHOLDERS);

    // When
    const config = loadConfig({ file, schema: serviceSchema, variables: { PORT: '' } });

    // Then
    expect(config.port).toBe(8000);
  });

  it('resolves placeholders inside lists and nested mappings', () => {
    // Given
    const schema = z.strictObject({
      ...baseShape,
      origins: z.array(z.string()),
      limits: z.strictObject({ perSecond: z.number() }),
    });
    const file = writeYaml(`
local:
  host: h
  port: 1
  logLevel: info
  logPretty: false
  shutdownGraceMs: 0
  origins:
    - \${ORIGIN_A:http://a}
    - https://\${ORIGIN_B:b}
  limits:
    perSecond: \${RATE:2.5}
`);

    // When
    const config = loadConfig({ file, schema, variables: { ORIGIN_B: 'bee.example' } });

    // Then
    expect(config.origins).toEqual(['http://a', 'https://bee.example']);
    expect(config.limits).toEqual({ perSecond: 2.5 });
  });

  it('fails naming the key and the variable when a variable without a default is not set', () => {
    // Given
    const file = writeYaml(PLACEHOLDERS.replace(`\${UPSTREAM_HOST:localhost}`, `\${UPSTREAM_HOST}`));

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, variables: {} }));

    // Then
    expect(message).toContain(`Invalid configuration in ${file} for ENV=local`);
    expect(message).toContain('upstreamUrl: environment variable UPSTREAM_HOST is not set and has no default');
    expect(message).toContain(`\${UPSTREAM_HOST:default}`);
  });

  it('fails on a whole-value placeholder without default, naming the nested key path', () => {
    // Given
    const schema = z.object({ limits: z.object({ perSecond: z.number() }) });
    const file = writeYaml(`local:\n  limits:\n    perSecond: \${RATE}\n`);

    // When
    const message = configErrorOf(() => loadConfig({ file, schema, variables: {} }));

    // Then
    expect(message).toContain('limits.perSecond: environment variable RATE is not set');
  });
});

describe('loadConfig validation', () => {
  it('names the key and what is allowed when a value is invalid', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS.replace('port: 8000', 'port: 70000'));

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, env: 'local', variables: {} }));

    // Then
    expect(message).toMatch(new RegExp(`^Invalid configuration in ${escapeRegExp(file)} for ENV=local:\\n  - port: `));
    expect(message).toContain('65535');
  });

  it('names the key when a placeholder resolves to a value of the wrong type', () => {
    // Given
    const file = writeYaml(`local:\n  host: h\n  port: \${PORT:8000}\n  logLevel: info\n  logPretty: false\n`);
    const schema = z.strictObject(baseShape).omit({ shutdownGraceMs: true });

    // When
    const message = configErrorOf(() => loadConfig({ file, schema, variables: { PORT: 'eighty' } }));

    // Then
    expect(message).toContain('  - port: ');
    expect(message).toContain('expected number');
  });

  it('names an unknown key under a strict schema', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS.replace('logPretty: true', 'logPretty: true\n  prot: 1'));

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, env: 'local', variables: {} }));

    // Then
    expect(message).toContain('  - unknown key "prot"');
  });

  it('names several unknown keys and where they are nested', () => {
    // Given
    const schema = z.strictObject({ limits: z.strictObject({ perSecond: z.number() }) });
    const file = writeYaml('local:\n  limits:\n    perSecond: 1\n    burst: 2\n    jitter: 3\n');

    // When
    const message = configErrorOf(() => loadConfig({ file, schema, variables: {} }));

    // Then
    expect(message).toContain('  - unknown keys "burst", "jitter" in limits');
  });

  it('lists every problem, one per line, and names the root when the whole section is wrong', () => {
    // Given
    const file = writeYaml(TWO_ENVIRONMENTS.replace('host: 127.0.0.1', 'host: ""').replace('port: 8000', 'port: -1'));
    const rootRefusing = z.strictObject({}).refine(() => false, { message: 'never valid' });

    // When
    const several = configErrorOf(() => loadConfig({ file, schema: serviceSchema, env: 'local', variables: {} }));
    const root = configErrorOf(() =>
      loadConfig({ file: writeYaml('local: {}\n', 'root.yaml'), schema: rootRefusing, variables: {} }),
    );

    // Then
    expect(several.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(2);
    expect(several).toContain('  - host: ');
    expect(several).toContain('  - port: ');
    expect(root).toContain('  - (root): never valid');
  });
});

describe('loadConfig file problems', () => {
  it('names the file when it cannot be read', () => {
    // Given
    const file = join(directory, 'missing.yaml');

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, variables: {} }));

    // Then
    expect(message).toContain(`Cannot read configuration file ${file}`);
    expect(message).toContain('ENOENT');
  });

  it('names the file when it is not valid YAML', () => {
    // Given
    const file = writeYaml('local:\n  host: [unclosed\n  port: 1\n');

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, variables: {} }));

    // Then
    expect(message).toContain(`Configuration file ${file} is not valid YAML`);
  });

  it.each([
    ['a list', '- local\n- prod\n'],
    ['a scalar', 'just text\n'],
    ['an empty file', ''],
  ])('refuses a document that is %s instead of a mapping', (_kind, text) => {
    // Given
    const file = writeYaml(text);

    // When
    const message = configErrorOf(() => loadConfig({ file, schema: serviceSchema, variables: {} }));

    // Then
    expect(message).toBe(`Configuration file ${file} must be a mapping of environment names to settings.`);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
