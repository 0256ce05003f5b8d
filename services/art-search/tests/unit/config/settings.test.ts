import { ConfigError } from '@mlms/service-kit';
import { describe, expect, it } from 'vitest';
import { loadArtSearchConfig } from '../../../src/config/settings.js';

describe('loadArtSearchConfig', () => {
  it('selects the local environment by default, pointing at the emulator on port 8090', () => {
    // When
    const config = loadArtSearchConfig({});

    // Then
    expect(config).toMatchObject({ env: 'local', port: 8000, metApiUrl: 'http://127.0.0.1:8090', logPretty: true });
  });

  it('points prod at the real Met API and listens on 8080 on every interface', () => {
    // When
    const config = loadArtSearchConfig({ ENV: 'prod' });

    // Then
    expect(config).toMatchObject({
      env: 'prod',
      host: '0.0.0.0',
      port: 8080,
      metApiUrl: 'https://collectionapi.metmuseum.org',
      metConnectTimeoutMs: 2000,
      metTimeoutMs: 5000,
      cacheEnabled: true,
      cacheObjectTtlSeconds: 3600,
      cacheSearchTtlSeconds: 300,
      logPretty: false,
    });
    expect(config.metMaxRequestsPerSecond).toBeLessThan(80);
  });

  it.each(['dev', 'qa'])('loads the %s environment', (env) => {
    // When
    const config = loadArtSearchConfig({ ENV: env });

    // Then
    expect(config.env).toBe(env);
    expect(config.metApiUrl).toBe('http://met-emulator:8090');
  });

  it('reads PORT and MET_API_URL from the environment', () => {
    // When
    const config = loadArtSearchConfig({ ENV: 'local', PORT: '9123', MET_API_URL: 'http://127.0.0.1:9999' });

    // Then
    expect(config.port).toBe(9123);
    expect(config.metApiUrl).toBe('http://127.0.0.1:9999');
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

  it('refuses a Met URL that is not http(s), naming the key', () => {
    // When / Then
    expect(() => loadArtSearchConfig({ MET_API_URL: 'ftp://example.org' })).toThrow(/metApiUrl: /);
  });

  it('reads another file given in CONFIG_FILE', () => {
    // When / Then
    expect(() => loadArtSearchConfig({ CONFIG_FILE: '/nonexistent/config.yaml' })).toThrow(
      /Cannot read configuration file \/nonexistent\/config.yaml/,
    );
  });
});
