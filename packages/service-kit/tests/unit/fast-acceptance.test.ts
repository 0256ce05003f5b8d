import { type ServiceApp, withFastAcceptance } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from './support/test-app.js';

let app: ServiceApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A route whose body schema has a quick check that accepts `{ n }` with 0 <= n <= 10 and records what it saw. */
async function appWithCheckedRoute() {
  const seen: unknown[] = [];
  const schema = withFastAcceptance(z.strictObject({ n: z.number().int().min(0).max(10) }), (value) => {
    seen.push(value);
    const n = (value as { n?: unknown } | null)?.n;
    return Object.keys(value ?? {}).length === 1 && Number.isInteger(n) && (n as number) >= 0 && (n as number) <= 10;
  });
  app = await createTestApp();
  app.post('/checked', { schema: { body: schema } }, async (request) => ({ n: request.body.n }));
  app.post('/unchecked', { schema: { body: z.strictObject({ n: z.number() }) } }, async (request) => ({
    n: request.body.n,
  }));
  return { app, seen };
}

const post = (service: ServiceApp, url: string, body: unknown) =>
  service.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });

describe('withFastAcceptance', () => {
  it('given a body the quick check accepts, when posted, then the handler gets it', async () => {
    // Given
    const { app: service, seen } = await appWithCheckedRoute();

    // When
    const response = await post(service, '/checked', { n: 7 });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ n: 7 });
    expect(seen).toEqual([{ n: 7 }]);
  });

  it("given a body the quick check refuses, when posted, then the schema's own 422 answers it", async () => {
    // Given
    const { app: service, seen } = await appWithCheckedRoute();

    // When
    const response = await post(service, '/checked', { n: 11 });

    // Then
    expect(seen).toEqual([{ n: 11 }]);
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toEqual([
      expect.objectContaining({ type: 'less_than_equal', loc: ['body', 'n'], input: 11, ctx: { le: 10 } }),
    ]);
  });

  it('given a route without a quick check, when posted, then only its schema validates', async () => {
    // Given
    const { app: service, seen } = await appWithCheckedRoute();

    // When
    const accepted = await post(service, '/unchecked', { n: 1.5 });
    const refused = await post(service, '/unchecked', { n: 'x' });

    // Then
    expect(accepted.json()).toEqual({ n: 1.5 });
    expect(refused.statusCode).toBe(422);
    expect(seen).toEqual([]);
  });
});
