import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPERIMENT_NAME,
  MlflowTrackingError,
  proxiedArtifactRoot,
  trackingConfigFromEnv,
} from '../../../src/runs/mlflow-tracking.js';

describe('trackingConfigFromEnv', () => {
  it('turns tracking off when MLFLOW_TRACKING_URI is unset or blank', () => {
    // Given / When / Then
    expect(trackingConfigFromEnv({})).toBeNull();
    expect(trackingConfigFromEnv({ MLFLOW_TRACKING_URI: '  ' })).toBeNull();
  });

  it('reads the server, experiment name and bearer token, dropping a trailing slash', () => {
    // Given
    const env = {
      MLFLOW_TRACKING_URI: 'http://mlflow:5000/',
      MLFLOW_EXPERIMENT_NAME: 'ames',
      MLFLOW_TRACKING_TOKEN: 't0k',
    };

    // When
    const config = trackingConfigFromEnv(env);

    // Then
    expect(config).toMatchObject({
      trackingUri: 'http://mlflow:5000',
      experimentName: 'ames',
      headers: { authorization: 'Bearer t0k' },
    });
  });

  it('uses basic authentication from username and password and the default experiment', () => {
    // Given
    const env = { MLFLOW_TRACKING_URI: 'https://m', MLFLOW_TRACKING_USERNAME: 'ann', MLFLOW_TRACKING_PASSWORD: 'pw' };

    // When
    const config = trackingConfigFromEnv(env);

    // Then
    expect(config?.experimentName).toBe(DEFAULT_EXPERIMENT_NAME);
    expect(config?.headers.authorization).toBe(`Basic ${Buffer.from('ann:pw').toString('base64')}`);
  });

  it.each([
    ['file:///tmp/mlruns', /uses file:, but only an http\(s\) tracking server is supported/],
    ['databricks', /'databricks' is not a URL/],
  ])('rejects %s with a message naming the variable', (uri, message) => {
    // Given
    const env = { MLFLOW_TRACKING_URI: uri };

    // When
    const read = () => trackingConfigFromEnv(env);

    // Then
    expect(read).toThrow(MlflowTrackingError);
    expect(read).toThrow(message);
  });
});

describe('proxiedArtifactRoot', () => {
  it('maps an mlflow-artifacts URI to the proxy path and refuses other stores', () => {
    // Given / When / Then
    expect(proxiedArtifactRoot('mlflow-artifacts:/3/abc/artifacts')).toBe('3/abc/artifacts');
    expect(proxiedArtifactRoot('mlflow-artifacts://tracker:5000/3/abc/artifacts')).toBe('3/abc/artifacts');
    expect(() => proxiedArtifactRoot('s3://bucket/3/abc/artifacts')).toThrow(/--serve-artifacts/);
  });
});
