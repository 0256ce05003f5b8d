import {
  errorSchema,
  InvalidInputError,
  NotFoundError,
  type ServiceApp,
  UnavailableError,
  UpstreamError,
  UpstreamTimeoutError,
  validationErrorSchema,
} from '@mlms/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from './support/test-app.js';

let app: ServiceApp;

/** Routes that validate each request part, and routes that fail in each way the handler knows. */
async function buildAppWithTestRoutes(): Promise<ServiceApp> {
  const built = await createTestApp();
  built.get(
    '/search',
    {
      schema: {
        querystring: z.object({
          title: z.string().min(1).max(10),
          limit: z.coerce.number().int().min(1).max(50).optional(),
          sort: z.enum(['title', 'date']).optional(),
          code: z
            .string()
            .regex(/^[a-z]+$/)
            .optional(),
          even: z.coerce
            .number()
            .refine((value) => value % 2 === 0, { message: 'even must be an even number' })
            .optional(),
        }),
        response: { 200: z.object({ title: z.string() }), 422: validationErrorSchema },
      },
    },
    async (request) => ({ title: request.query.title }),
  );
  built.get(
    '/artworks/:objectId',
    { schema: { params: z.object({ objectId: z.string().regex(/^\d{1,9}$/, { error: 'objectId must be digits' }) }) } },
    async (request) => ({ objectId: Number(request.params.objectId) }),
  );
  built.post(
    '/items',
    { schema: { body: z.object({ name: z.string().max(5), tags: z.array(z.string()).default([]) }) } },
    async (request) => ({ name: request.body.name, tags: request.body.tags }),
  );
  built.post(
    '/strict',
    { schema: { body: z.strictObject({ house: z.strictObject({ area: z.number().optional() }).optional() }) } },
    async () => ({ ok: true }),
  );
  built.get('/versioned', { schema: { headers: z.object({ 'x-api-version': z.enum(['1', '2']) }) } }, async () => ({
    ok: true,
  }));
  built.get('/errors/not-found', { schema: { response: { 404: errorSchema } } }, async () => {
    throw new NotFoundError('No artwork matches "zzz".');
  });
  built.get('/errors/invalid-input', async () => {
    throw new InvalidInputError(['query', 'title'], 'title must not be blank');
  });
  built.get('/errors/invalid-input-typed', async () => {
    throw new InvalidInputError(['body', 'items', 2], 'items[2] is not a known id', 'unknown_id');
  });
  built.get('/errors/upstream', async () => {
    throw new UpstreamError('Met Collection API', 'status', 'Met Collection API answered HTTP 500.', {
      upstreamStatus: 500,
    });
  });
  built.get('/errors/upstream-timeout', async () => {
    throw new UpstreamTimeoutError('Met Collection API', 250);
  });
  built.get('/errors/unavailable', async () => {
    throw new UnavailableError('The service is shutting down.');
  });
  built.get('/errors/plain', async () => {
    throw new Error('connection string postgres://admin:secret@db leaked');
  });
  built.get('/errors/plain-5xx-status', async () => {
    throw Object.assign(new Error('pool exhausted at 10.0.0.7'), { statusCode: 503 });
  });
  built.get('/errors/plain-4xx-status', async () => {
    throw Object.assign(new Error('Range not satisfiable'), { statusCode: 416 });
  });
  built.get(
    '/errors/bad-response',
    { schema: { response: { 200: z.object({ id: z.number() }) } } },
    // The handler breaks its own contract; the cast hides that from the compiler as a real bug would.
    async () => ({ id: 'not-a-number' }) as unknown as { id: number },
  );
  await built.ready();
  return built;
}

beforeEach(async () => {
  app = await buildAppWithTestRoutes();
});

afterEach(async () => {
  await app.close();
});

describe('error handler: request validation', () => {
  it('answers a missing query parameter with FastAPI\'s 422 "Field required" body', async () => {
    // Given
    const url = '/search';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [{ type: 'missing', loc: ['query', 'title'], msg: 'Field required', input: null }],
    });
  });

  it('reports a too long string as string_too_long, with what is allowed', async () => {
    // Given
    const url = `/search?title=${'x'.repeat(11)}`;

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(422);
    const [issue, ...others] = response.json().detail;
    expect(others).toEqual([]);
    expect(issue).toMatchObject({ loc: ['query', 'title'], type: 'string_too_long' });
    expect(issue.msg).toContain('10');
  });

  it.each([
    ['an empty string', 'title=', 'title', 'string_too_short'],
    ['a number too small', 'title=a&limit=0', 'limit', 'greater_than_equal'],
    ['a number too big', 'title=a&limit=51', 'limit', 'less_than_equal'],
    ['a value outside the enum', 'title=a&sort=price', 'sort', 'enum'],
    ['a value not matching the pattern', 'title=a&code=ABC', 'code', 'string_pattern_mismatch'],
    ['a value failing a refinement', 'title=a&even=3', 'even', 'value_error'],
  ])('reports %s with its own type', async (_case, query, field, type) => {
    // Given
    const url = `/search?${query}`;

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toEqual([
      expect.objectContaining({ type, loc: ['query', field], msg: expect.any(String), input: expect.any(String) }),
    ]);
  });

  it('reports a present but non-numeric value as int_parsing, not as missing', async () => {
    // Given
    const url = '/search?title=a&limit=abc';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(422);
    const [issue] = response.json().detail;
    expect(issue).toMatchObject({ loc: ['query', 'limit'], type: 'int_parsing' });
    expect(issue.msg).not.toBe('Field required');
  });

  it('takes the last value of a repeated query parameter, as FastAPI does', async () => {
    // Given
    const url = '/search?title=a&title=b';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ title: 'b' });
  });

  it('lists every invalid field of one request', async () => {
    // Given
    const url = '/search?limit=99&sort=price';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(422);
    const locations = response.json().detail.map((issue: { loc: unknown[] }) => issue.loc);
    expect(locations).toEqual([
      ['query', 'title'],
      ['query', 'limit'],
      ['query', 'sort'],
    ]);
  });

  it('locates an invalid path parameter under "path"', async () => {
    // Given
    const url = '/artworks/abc';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [
        {
          type: 'string_pattern_mismatch',
          loc: ['path', 'objectId'],
          msg: "String should match pattern '^\\d{1,9}$'",
          input: 'abc',
          ctx: { pattern: '^\\d{1,9}$' },
        },
      ],
    });
  });

  it('locates an invalid body field under "body", with list indexes as numbers', async () => {
    // Given
    const payload = { name: 'toolong', tags: ['a', 5] };

    // When
    const response = await app.inject({ method: 'POST', url: '/items', payload });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toEqual([
      {
        type: 'string_too_long',
        loc: ['body', 'name'],
        msg: 'String should have at most 5 characters',
        input: 'toolong',
        ctx: { max_length: 5 },
      },
      { type: 'string_type', loc: ['body', 'tags', 1], msg: 'Input should be a valid string', input: 5 },
    ]);
  });

  it('reports each unknown key of a strict object as extra_forbidden at its own location, as pydantic does', async () => {
    // Given
    const payload = { pool: 1, house: { area: 5, spa: true, sauna: 'yes' } };

    // When
    const response = await app.inject({ method: 'POST', url: '/strict', payload });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toHaveLength(3);
    expect(response.json().detail).toEqual(
      expect.arrayContaining([
        { type: 'extra_forbidden', loc: ['body', 'pool'], msg: 'Extra inputs are not permitted', input: 1 },
        { type: 'extra_forbidden', loc: ['body', 'house', 'spa'], msg: 'Extra inputs are not permitted', input: true },
        {
          type: 'extra_forbidden',
          loc: ['body', 'house', 'sauna'],
          msg: 'Extra inputs are not permitted',
          input: 'yes',
        },
      ]),
    );
  });

  it('reports a missing body field and a missing body as "Field required"', async () => {
    // Given
    const withoutName = { tags: [] };

    // When
    const fieldMissing = await app.inject({ method: 'POST', url: '/items', payload: withoutName });
    const bodyMissing = await app.inject({ method: 'POST', url: '/items' });

    // Then
    expect(fieldMissing.json()).toEqual({
      detail: [{ type: 'missing', loc: ['body', 'name'], msg: 'Field required', input: { tags: [] } }],
    });
    expect(bodyMissing.statusCode).toBe(422);
    expect(bodyMissing.json()).toEqual({
      detail: [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }],
    });
  });

  it('locates an invalid header under "header"', async () => {
    // Given
    const headers = { 'x-api-version': '3' };

    // When
    const response = await app.inject({ method: 'GET', url: '/versioned', headers });
    const missing = await app.inject({ method: 'GET', url: '/versioned' });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toEqual([
      {
        type: 'enum',
        loc: ['header', 'x-api-version'],
        msg: "Input should be '1' or '2'",
        input: '3',
        ctx: { expected: "'1' or '2'" },
      },
    ]);
    expect(missing.json().detail).toEqual([
      { type: 'missing', loc: ['header', 'x-api-version'], msg: 'Field required', input: null },
    ]);
  });

  it('passes valid input through to the route', async () => {
    // Given
    const url = '/search?title=socrates&limit=5';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ title: 'socrates' });
  });
});

describe('error handler: service errors', () => {
  it.each([
    ['/errors/not-found', 404, 'No artwork matches "zzz".'],
    ['/errors/upstream', 502, 'Met Collection API answered HTTP 500.'],
    ['/errors/upstream-timeout', 504, 'Met Collection API did not answer within 250 ms.'],
    ['/errors/unavailable', 503, 'The service is shutting down.'],
  ])('answers %s with %i and its message as detail', async (url, status, detail) => {
    // Given
    const request = { method: 'GET' as const, url };

    // When
    const response = await app.inject(request);

    // Then
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ detail });
  });

  it('answers an InvalidInputError with 422 and a FastAPI validation body', async () => {
    // Given
    const urls = ['/errors/invalid-input', '/errors/invalid-input-typed'];

    // When
    const [plain, typed] = await Promise.all(urls.map((url) => app.inject({ method: 'GET', url })));

    // Then
    expect(plain?.statusCode).toBe(422);
    expect(plain?.body).toBe(
      '{"detail":[{"type":"value_error","loc":["query","title"],"msg":"Value error, title must not be blank",' +
        '"input":null,"ctx":{"error":{}}}]}',
    );
    expect(typed?.json()).toEqual({
      detail: [{ type: 'unknown_id', loc: ['body', 'items', 2], msg: 'items[2] is not a known id', input: null }],
    });
  });
});

describe('error handler: unexpected errors', () => {
  it('answers a plain thrown Error with 500 without leaking its message', async () => {
    // Given
    const url = '/errors/plain';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ detail: 'Internal Server Error' });
    expect(response.body).not.toContain('secret');
  });

  it('hides the message of a foreign error that carries a 5xx status', async () => {
    // Given
    const url = '/errors/plain-5xx-status';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ detail: 'Internal Server Error' });
  });

  it("keeps the status of a foreign error that carries a 4xx status, with the status's phrase as detail", async () => {
    // Given
    const url = '/errors/plain-4xx-status';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(416);
    expect(response.json()).toEqual({ detail: 'Range Not Satisfiable' });
  });

  it("answers 500 when a route's response does not match its schema", async () => {
    // Given
    const url = '/errors/bad-response';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ detail: 'Internal Server Error' });
    expect(response.body).not.toContain('not-a-number');
  });

  it("answers a malformed JSON body with FastAPI's 422 json_invalid entry", async () => {
    // Given
    const request = {
      method: 'POST' as const,
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": ',
    };

    // When
    const response = await app.inject(request);

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json()).toEqual({
      detail: [
        {
          type: 'json_invalid',
          loc: ['body', 9],
          msg: 'JSON decode error',
          input: {},
          ctx: { error: 'Expecting value' },
        },
      ],
    });
  });

  it('given a malformed JSON body nested too deep to locate the error, when posted, then 400 as FastAPI answers it', async () => {
    // Given: Python's json raises RecursionError here, which FastAPI turns into this 400
    const request = {
      method: 'POST' as const,
      url: '/items',
      headers: { 'content-type': 'application/json' },
      payload: '['.repeat(100_000),
    };

    // When
    const response = await app.inject(request);

    // Then
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ detail: 'There was an error parsing the body' });
  });

  it('answers an unsupported media type with 415', async () => {
    // Given
    const request = { method: 'POST' as const, url: '/items', headers: { 'content-type': 'text/csv' }, payload: 'a,b' };

    // When
    const response = await app.inject(request);

    // Then
    expect(response.statusCode).toBe(415);
    expect(typeof response.json().detail).toBe('string');
  });

  it.each([
    ['GET', '/no/such/route'],
    ['DELETE', '/no/such/route'],
  ] as const)('answers %s %s, which has no route, with 404 {"detail":"Not Found"}', async (method, url) => {
    // Given
    const request = { method, url };

    // When
    const response = await app.inject(request);

    // Then
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'Not Found' });
  });

  it('answers DELETE /search, a path served only under GET, with 405 and an Allow header', async () => {
    // When
    const response = await app.inject({ method: 'DELETE', url: '/search?title=x' });

    // Then
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(response.json()).toEqual({ detail: 'Method Not Allowed' });
  });
});
