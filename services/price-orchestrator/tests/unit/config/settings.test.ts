import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadOrchestratorConfig, orchestratorConfigSchema } from '../../../src/config/settings.js';
import { testConfig } from '../../support/config.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Writes a configuration file into a directory removed after the test and returns its path. */
function writeConfig(...lines: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'price-orchestrator-config-'));
  directories.push(directory);
  const file = join(directory, 'config.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

/** A complete `local` section with the model server's timeout given. */
function localWithTimeout(timeoutMs: string): string[] {
  return [
    'local:',
    '  host: 127.0.0.1',
    '  port: 8001',
    '  logLevel: info',
    '  logPretty: false',
    '  shutdownDrainMs: 0',
    '  shutdownGraceMs: 1000',
    '  requestTimeoutMs: 6000',
    '  maxOpenConnections: 64',
    '  headersTimeoutMs: 10000',
    '  keepAliveTimeoutMs: 5000',
    '  modelServer:',
    '    url: http://127.0.0.1:8080',
    '    connectTimeoutMs: 1000',
    `    timeoutMs: ${timeoutMs}`,
    '    retries: 1',
    '    retryBaseDelayMs: 50',
    '    maxConnections: 8',
    '    maxResponseBytes: 65536',
    '  modelName: housing-price',
    '  userAgent: tests',
    '  startupRetryFirstDelayMs: 250',
    '  startupRetryMaxDelayMs: 5000',
    '  readinessCacheMs: 5000',
    '  maxBatchSize: 1000',
    '  coalesceSingleRequests: true',
    '  maxBodyBytes: 8388608',
  ];
}

describe('loadOrchestratorConfig', () => {
  it('loads local by default: port 8001 on loopback, the model server on http://127.0.0.1:8080', () => {
    // When
    const config = loadOrchestratorConfig({});

    // Then
    expect(config).toMatchObject({
      env: 'local',
      host: '127.0.0.1',
      port: 8001,
      logPretty: true,
      modelName: 'housing-price',
      modelServer: {
        url: 'http://127.0.0.1:8080',
        connectTimeoutMs: 1000,
        timeoutMs: 5000,
        retries: 1,
        retryBaseDelayMs: 50,
        maxConnections: 32,
      },
      maxBatchSize: 1000,
      maxBodyBytes: 8_388_608,
    });
  });

  it('points at the model server given in MODEL_SERVER_URL', () => {
    // When
    const config = loadOrchestratorConfig({ MODEL_SERVER_URL: 'http://models.internal:9000/base' });

    // Then
    expect(config.modelServer.url).toBe('http://models.internal:9000/base');
    expect(config.modelServer.timeoutMs).toBe(5000);
  });

  it('reads PORT, MODEL_NAME and LOG_PRETTY from the environment', () => {
    // When
    const config = loadOrchestratorConfig({ PORT: '9100', MODEL_NAME: 'ames', LOG_PRETTY: 'false' });

    // Then
    expect(config).toMatchObject({ port: 9100, modelName: 'ames', logPretty: false });
  });

  it('loads prod: every interface on port 8080, the model-server host, plain logs', () => {
    // When
    const config = loadOrchestratorConfig({ ENV: 'prod' });

    // Then
    expect(config).toMatchObject({
      env: 'prod',
      host: '0.0.0.0',
      port: 8080,
      logLevel: 'info',
      logPretty: false,
      modelServer: { url: 'http://model-server:8080' },
    });
  });

  it.each(['dev', 'qa'])('loads the %s environment', (env) => {
    // When
    const config = loadOrchestratorConfig({ ENV: env });

    // Then
    expect(config.env).toBe(env);
    expect(config.modelServer.url).toBe('http://model-server:8080');
  });

  it('logs at debug in dev', () => {
    // When / Then
    expect(loadOrchestratorConfig({ ENV: 'dev' }).logLevel).toBe('debug');
  });

  it.each([
    ['not a URL', 'model-server:8080'],
    ['not http(s)', 'ftp://model-server'],
  ])('refuses a model server URL that is %s, naming modelServer.url', (_case, url) => {
    // When / Then
    expect(() => loadOrchestratorConfig({ MODEL_SERVER_URL: url })).toThrow(ConfigError);
    expect(() => loadOrchestratorConfig({ MODEL_SERVER_URL: url })).toThrow(/- modelServer\.url: /);
  });

  it('refuses a negative model server timeout, naming modelServer.timeoutMs', () => {
    // Given
    const file = writeConfig(...localWithTimeout('-1'));

    // When / Then
    expect(() => loadOrchestratorConfig({ CONFIG_FILE: file })).toThrow(ConfigError);
    expect(() => loadOrchestratorConfig({ CONFIG_FILE: file })).toThrow(
      /- modelServer\.timeoutMs: Too small: .*\(got -1\)/,
    );
  });

  it('loads another file given in CONFIG_FILE', () => {
    // Given
    const file = writeConfig(...localWithTimeout('250'));

    // When
    const config = loadOrchestratorConfig({ CONFIG_FILE: file });

    // Then
    expect(config.modelServer.timeoutMs).toBe(250);
    expect(config.userAgent).toBe('tests');
  });

  it('refuses an unknown key', () => {
    // Given
    const file = writeConfig(...localWithTimeout('250'), '  batchSize: 10');

    // When / Then
    expect(() => loadOrchestratorConfig({ CONFIG_FILE: file })).toThrow(/unknown key "batchSize"/);
  });

  it('refuses an unknown environment', () => {
    // When / Then
    expect(() => loadOrchestratorConfig({ ENV: 'staging' })).toThrow(/Unknown environment ENV="staging"/);
  });
});

/** The tests configuration as a file would hold it: `env` is added by the loader, not written in the file. */
function fileSettings() {
  const { env: _env, ...settings } = testConfig();
  return settings;
}

describe('orchestratorConfigSchema', () => {
  it('accepts the tests configuration', () => {
    // When / Then
    expect(orchestratorConfigSchema.safeParse(fileSettings()).success).toBe(true);
  });

  it.each([
    ['a batch size of 0', { maxBatchSize: 0 }, 'maxBatchSize'],
    ['a batch size over 10,000', { maxBatchSize: 10_001 }, 'maxBatchSize'],
    ['a body limit under 1 KiB', { maxBodyBytes: 1000 }, 'maxBodyBytes'],
    ['an empty model name', { modelName: '' }, 'modelName'],
    ['a fractional delay', { startupRetryFirstDelayMs: 0.5 }, 'startupRetryFirstDelayMs'],
  ])('refuses %s', (_case, override, key) => {
    // When
    const result = orchestratorConfigSchema.safeParse({ ...fileSettings(), ...override });

    // Then
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join('.'))).toEqual([key]);
  });
});
