import {
  InvalidInputError,
  NotFoundError,
  ServiceError,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
} from '@mlms/service-kit';
import { describe, expect, it } from 'vitest';

describe('service errors', () => {
  it.each([
    [new NotFoundError('gone'), 404, 'not_found', 'NotFoundError'],
    [new InvalidInputError(['query', 'title'], 'blank'), 422, 'invalid_input', 'InvalidInputError'],
    [new UpstreamError('Met', 'status', 'Met answered HTTP 500.'), 502, 'upstream_error', 'UpstreamError'],
    [new UpstreamTimeoutError('Met', 100), 504, 'upstream_timeout', 'UpstreamTimeoutError'],
    [new UnavailableError('closing'), 503, 'unavailable', 'UnavailableError'],
  ])('%s has status %i, code %s and its class name', (error, statusCode, code, name) => {
    // Given the error built above

    // When
    const { statusCode: status, code: kind, name: className } = error;

    // Then
    expect(error).toBeInstanceOf(ServiceError);
    expect(error).toBeInstanceOf(Error);
    expect([status, kind, className]).toEqual([statusCode, code, name]);
  });

  it('keeps where invalid input is and defaults its type to value_error', () => {
    // Given
    const location = ['body', 'items', 2] as const;

    // When
    const untyped = new InvalidInputError(location, 'unknown id');
    const typed = new InvalidInputError(location, 'too many', 'too_long');

    // Then
    expect(untyped.location).toEqual(['body', 'items', 2]);
    expect(untyped.type).toBe('value_error');
    expect(typed.type).toBe('too_long');
    expect(typed.message).toBe('too many');
  });

  it('keeps the upstream, the failure kind, the upstream status and the cause of an upstream error', () => {
    // Given
    const cause = new Error('socket hang up');

    // When
    const error = new UpstreamError('Met', 'connection', 'Met dropped the connection.', { cause, upstreamStatus: 503 });
    const withoutStatus = new UpstreamError('Met', 'malformed_body', 'not JSON');

    // Then
    expect(error).toMatchObject({ upstream: 'Met', kind: 'connection', upstreamStatus: 503, cause });
    expect(withoutStatus.upstreamStatus).toBeUndefined();
  });

  it('says which upstream timed out after how long', () => {
    // Given
    const cause = new Error('aborted');

    // When
    const error = new UpstreamTimeoutError('Met Collection API', 2500, { cause });

    // Then
    expect(error.message).toBe('Met Collection API did not answer within 2500 ms.');
    expect(error).toMatchObject({ upstream: 'Met Collection API', timeoutMs: 2500, cause });
  });
});
