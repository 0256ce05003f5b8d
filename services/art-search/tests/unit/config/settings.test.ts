import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { loadArtSearchConfig } from '../../../src/config/settings.js';

const directories: string[] = [];
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Every setting but the Met block, as lines of a `local` section. */
const localSection = [
  '  host: 127.0.0.1',
  '  port: 8000',
  '  logLevel: info',
  '  logPretty: false',
  '  shutdownGraceMs: 1000',
  '  userAgent: art-search-tests',
  '  cacheEnabled: true',
  '  cacheMaxEntries: 10',
  '  cacheObjectTtlSeconds: 60',
  '  cacheSearchTtlSeconds: 60',
  '  cacheNotFoundTtlSeconds: 60',
  '  cacheMaxStaleSeconds: 0',
  '  searchMaxCandidates: 5',
  '  searchConcurrency: 3',
  '  readinessCacheMs: 0',
];

/** Writes a configuration file into a directory removed after the test and returns its path. */
function writeConfig(...lines: string[]): string {
  const directory = mkdtempSync(join(tmpdir(), 'art-search-config-'));
  directories.push(directory);
  const file = join(directory, 'config.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('loadArtSearchConfig', () => {
  it('selects the local environment by default, pointing at the emulator on port 8090', () => {
    // When
    const config = loadArtSearchConfig({});

    // Then
    expect(config).toMatchObject({ env: 'local', port: 8000, met: { url: 'http://127.0.0.1:8090' }, logPretty: true });
  });

  it('points prod at the real Met API and listens on 8080 on every interface', () => {
    // When
    const config = loadArtSearchConfig({ ENV: 'prod' });

    // Then
    expect(config).toMatchObject({
      env: 'prod',
      host: '0.0.0.0',
      port: 8080,
      met: {
        url: 'https://collectionapi.metmuseum.org',
        connectTimeoutMs: 2000,
        timeoutMs: 5000,
        retries: 1,
        retryBaseDelayMs: 200,
        maxConnections: 16,
        refusalCooldownMs: 30000,
      },
      cacheEnabled: true,
      cacheObjectTtlSeconds: 3600,
      cacheSearchTtlSeconds: 300,
      cacheNotFoundTtlSeconds: 300,
      cacheMaxStaleSeconds: 3600,
      logPretty: false,
    });
    expect(config.met.maxRequestsPerSecond).toBeGreaterThan(0);
    expect(config.met.maxRequestsPerSecond).toBeLessThan(80);
  });

  it.each(['dev', 'qa'])('loads the %s environment', (env) => {
    // When
    const config = loadArtSearchConfig({ ENV: env });

    // Then
    expect(config.env).toBe(env);
    expect(config.met).toMatchObject({ url: 'http://met-emulator:8090', maxRequestsPerSecond: 0, timeoutMs: 5000 });
  });

  it('reads PORT and MET_API_URL from the environment', () => {
    // When
    const config = loadArtSearchConfig({ ENV: 'local', PORT: '9123', MET_API_URL: 'http://127.0.0.1:9999' });

    // Then
    expect(config.port).toBe(9123);
    expect(config.met.url).toBe('http://127.0.0.1:9999');
  });

  it('turns caching off with CACHE_ENABLED=false', () => {
    // When
    const config = loadArtSearchConfig({ CACHE_ENABLED: 'false' });

    // Then
    expect(config.cacheEnabled).toBe(false);
  });

  it('refuses an unknown environment, listing the known ones', () => {
    // When / Then
    expect(() => loadArtSearchConfig({ ENV: 'staging' })).toThrow(
      /Unknown environment ENV="staging": .* defines local, dev, qa, prod/,
    );
  });

  it('refuses a port that is not a number, naming the key', () => {
    // When / Then
    expect(() => loadArtSearchConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadArtSearchConfig({ PORT: 'eighty' })).toThrow(/port: .*expected number.*\(got "eighty"\)/);
  });

  it('keeps the Met block of the default section in local, overriding only the keys it names', () => {
    // When
    const config = loadArtSearchConfig({ ENV: 'local' });

    // Then
    expect(config.met).toEqual({
      url: 'http://127.0.0.1:8090',
      connectTimeoutMs: 2000,
      timeoutMs: 5000,
      retries: 1,
      retryBaseDelayMs: 200,
      maxConnections: 16,
      maxResponseBytes: 5_242_880,
      maxRequestsPerSecond: 0,
      refusalCooldownMs: 1000,
    });
  });

  it('refuses a Met URL that is not http(s), naming the key path', () => {
    // When / Then
    expect(() => loadArtSearchConfig({ MET_API_URL: 'ftp://example.org' })).toThrow(
      /- met\.url: .*\(got "ftp:\/\/example\.org"\)/,
    );
  });

  it('names the key path of a bad or unknown key in the Met block', () => {
    // Given
    const file = writeConfig(
      'local:',
      ...localSection,
      '  met:',
      '    url: http://127.0.0.1:8090',
      '    connectTimeoutMs: 2000',
      '    timeoutMs: -1',
      '    retries: 1',
      '    retryBaseDelayMs: 200',
      '    maxConnections: 16',
      '    maxRequestsPerSecond: 0',
      '    refusalCooldownMs: 1000',
      '    metTimeoutMs: 5000',
    );

    // When / Then
    expect(() => loadArtSearchConfig({ CONFIG_FILE: file })).toThrow(/- met\.timeoutMs: Too small: .*\(got -1\)/);
    expect(() => loadArtSearchConfig({ CONFIG_FILE: file })).toThrow(/- unknown key "metTimeoutMs" in met/);
  });

  it('refuses the flat met* keys of the old layout, naming them', () => {
    // Given
    const file = writeConfig('local:', ...localSection, '  metApiUrl: http://127.0.0.1:8090');

    // When / Then
    expect(() => loadArtSearchConfig({ CONFIG_FILE: file })).toThrow(/- unknown key "metApiUrl"$/);
    expect(() => loadArtSearchConfig({ CONFIG_FILE: file })).toThrow(/- met: Invalid input: expected object/);
  });

  it('reads another file given in CONFIG_FILE', () => {
    // When / Then
    expect(() => loadArtSearchConfig({ CONFIG_FILE: '/nonexistent/config.yaml' })).toThrow(
      /Cannot read configuration file \/nonexistent\/config.yaml/,
    );
  });
});
