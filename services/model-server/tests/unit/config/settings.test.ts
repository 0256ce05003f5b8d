import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@mlms/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG_FILE, loadModelServerConfig } from '../../../src/config/settings.js';
import { thrown } from '../../support/thrown.js';

describe('loadModelServerConfig', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'model-server-config-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  /** The shipped YAML with one line of its default section replaced. */
  async function configFileWith(key: string, value: string): Promise<string> {
    const text = await readFile(DEFAULT_CONFIG_FILE, 'utf8');
    const edited = text.replace(new RegExp(`^  ${key}: .*$`, 'm'), `  ${key}: ${value}`);
    expect(edited).not.toBe(text);
    const file = join(directory, `${key}.yaml`);
    await writeFile(file, edited);
    return file;
  }

  it('loads the local environment by default: loopback, pretty logs, the default model, batching on', () => {
    // When
    const config = loadModelServerConfig({});

    // Then
    expect(config).toEqual({
      env: 'local',
      host: '127.0.0.1',
      port: 8080,
      logLevel: 'info',
      logPretty: true,
      shutdownDrainMs: 0,
      shutdownGraceMs: 10_000,
      maxOpenConnections: 1024,
      headersTimeoutMs: 10_000,
      keepAliveTimeoutMs: 10_000,
      modelUri: 'ml/housing-price-model/models/default',
      modelName: 'housing-price',
      modelVersion: '',
      sessionThreads: 1,
      batchingEnabled: true,
      batchMaxRows: 4096,
      maxBodyBytes: 10_485_760,
      requestTimeoutMs: 60_000,
      payloadLogEnabled: false,
      payloadLogFile: '/tmp/model-server-payloads.jsonl',
    });
  });

  it('serves the model baked into the image at /app/model in prod, on every interface with JSON logs', () => {
    // When
    const config = loadModelServerConfig({ ENV: 'prod' });

    // Then
    expect(config).toMatchObject({ env: 'prod', modelUri: '/app/model', host: '0.0.0.0', logPretty: false });
  });

  it.each(['dev', 'qa'])('loads the %s environment', (env) => {
    // When
    const config = loadModelServerConfig({ ENV: env });

    // Then
    expect(config.env).toBe(env);
    expect(config.host).toBe('0.0.0.0');
  });

  it('reads the model, name, version, batching and payload log settings from the environment', () => {
    // When
    const config = loadModelServerConfig({
      MODEL_URI: '/models/m',
      MODEL_NAME: 'house.v2_x-1',
      MODEL_VERSION: 'abc123',
      BATCHING_ENABLED: 'false',
      PAYLOAD_LOG_ENABLED: 'true',
      PAYLOAD_LOG_FILE: '/var/log/p.jsonl',
      PORT: '9000',
    });

    // Then
    expect(config).toMatchObject({
      modelUri: '/models/m',
      modelName: 'house.v2_x-1',
      modelVersion: 'abc123',
      batchingEnabled: false,
      payloadLogEnabled: true,
      payloadLogFile: '/var/log/p.jsonl',
      port: 9000,
    });
  });

  it('refuses a port that is not a number, naming the key', () => {
    // When
    const error = thrown(() => loadModelServerConfig({ PORT: 'eighty' }));

    // Then
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/port: .*\(got "eighty"\)/);
  });

  it('refuses a model name with spaces, naming the key and what is allowed', () => {
    // When
    const error = thrown(() => loadModelServerConfig({ MODEL_NAME: 'my model' }));

    // Then
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/modelName: letters, digits, "\.", "_" and "-", starting with a letter or digit/);
    expect(error.message).toContain('(got "my model")');
  });

  it('refuses batchMaxRows 0, naming the key', async () => {
    // Given
    const file = await configFileWith('batchMaxRows', '0');

    // When
    const error = thrown(() => loadModelServerConfig({ CONFIG_FILE: file }));

    // Then
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toMatch(/batchMaxRows: .*\(got 0\)/);
  });

  it('refuses a body limit under 1 KiB and an unknown key, naming each', async () => {
    // Given
    const small = await configFileWith('maxBodyBytes', '100');
    const unknown = await configFileWith('payloadLogFile', 'x\n  batchSize: 3');

    // When / Then
    expect(() => loadModelServerConfig({ CONFIG_FILE: small })).toThrow(/maxBodyBytes: /);
    expect(() => loadModelServerConfig({ CONFIG_FILE: unknown })).toThrow(/unknown key "batchSize"/);
  });

  it('refuses a boolean setting that is not true or false', () => {
    // When / Then
    expect(() => loadModelServerConfig({ BATCHING_ENABLED: 'yes' })).toThrow(/batchingEnabled: /);
  });

  it('reads another file given in CONFIG_FILE', () => {
    // When / Then
    expect(() => loadModelServerConfig({ CONFIG_FILE: '/nonexistent/config.yaml' })).toThrow(
      /Cannot read configuration file \/nonexistent\/config\.yaml/,
    );
  });
});
