import { readFileSync } from 'node:fs';
import type { ServiceApp } from '@mlms/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, TEST_OPENAPI } from './support/test-app.js';

/** Recorded FastAPI answers (see `tests/fixtures/fastapi/README.md` for where each text comes from). */
interface RecordedCase {
  name: string;
  request: { method: 'GET' | 'POST' | 'DELETE'; url: string; body?: string; headers?: Record<string, string> };
  status: number;
  headers?: Record<string, string>;
  /** Where we answer differently on purpose (documented in the README), what we send instead. */
  _ours?: Record<string, string>;
  body: string;
}

function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/fastapi/${name}`, import.meta.url), 'utf8')) as T;
}

const validation = fixture<{ cases: RecordedCase[] }>('validation-errors.json');
const jsonInvalid = fixture<{ cases: RecordedCase[] }>('json-invalid.json');
const routing = fixture<{ cases: RecordedCase[] }>('routing.json');
const redoc = fixture<RecordedCase & { title: string }>('redoc.json');
const openapi = fixture<{
  components: Record<string, unknown>;
  operationIds: { function: string; method: string; path: string; operationId: string }[];
  validation422: unknown;
}>('openapi.json');

let app: ServiceApp;

/** The `_app` of the fixtures, with zod schemas in place of the pydantic annotations. */
beforeAll(async () => {
  app = await createTestApp();
  app.get(
    '/search',
    {
      schema: {
        querystring: z.object({
          title: z.string().min(1).max(10),
          limit: z.coerce.number().int().min(1).max(50).optional(),
          sort: z.enum(['title', 'date']).optional(),
          ratio: z.coerce.number().optional(),
          flag: z.stringbool().optional(),
          code: z
            .string()
            .regex(/^[a-z]+$/)
            .optional(),
        }),
      },
    },
    async function search(request, reply) {
      return reply.type('application/json').send(JSON.stringify(request.query.title));
    },
  );
  app.get(
    '/blank',
    {
      schema: {
        querystring: z.object({
          title: z.string().refine((value) => value.trim() !== '', { error: 'title must not be blank' }),
        }),
      },
    },
    async () => 'ok',
  );
  app.get(
    '/artworks/:object_id',
    { schema: { params: z.object({ object_id: z.coerce.number().int() }) } },
    async (request) => ({ id: request.params.object_id }),
  );
  app.post(
    '/items',
    { schema: { body: z.strictObject({ name: z.string().max(5), tags: z.array(z.string()).default([]) }) } },
    async (request) => request.body,
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

async function send(recorded: RecordedCase) {
  const { method, url, body, headers } = recorded.request;
  return app.inject({
    method,
    url,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { payload: body }),
  });
}

describe('FastAPI compatibility: 422 entries as pydantic v2 reports them', () => {
  it.each(validation.cases)('$name', async (recorded) => {
    const response = await send(recorded);

    expect(response.statusCode).toBe(recorded.status);
    expect(response.body).toBe(recorded.body);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });
});

describe('FastAPI compatibility: a body that is not JSON is a json_invalid entry at Python json position', () => {
  it.each(jsonInvalid.cases)('$name', async (recorded) => {
    const response = await send(recorded);

    expect(response.statusCode).toBe(recorded.status);
    expect(response.body).toBe(recorded.body);
  });
});

describe('FastAPI compatibility: routing', () => {
  it.each(routing.cases)('$name', async (recorded) => {
    const response = await send(recorded);

    expect(response.statusCode).toBe(recorded.status);
    expect(response.body).toBe(recorded.body);
    for (const [name, value] of Object.entries(recorded.headers ?? {})) {
      expect(response.headers[name]).toBe(recorded._ours?.[name] ?? value);
    }
  });
});

describe('FastAPI compatibility: docs', () => {
  it('serves /redoc as FastAPI renders it', async () => {
    const response = await app.inject({ method: 'GET', url: '/redoc' });

    expect(redoc.title).toBe(TEST_OPENAPI.title);
    expect(response.statusCode).toBe(redoc.status);
    expect(response.headers['content-type']).toBe(redoc.headers?.['content-type']);
    expect(response.body).toBe(redoc.body);
  });

  it("names the validation components and their schemas as FastAPI's document does", async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    expect(document.components.schemas.HTTPValidationError).toEqual(openapi.components.HTTPValidationError);
    expect(document.components.schemas.ValidationError).toEqual(openapi.components.ValidationError);
    expect(JSON.stringify(document.components.schemas.ValidationError)).toBe(
      JSON.stringify(openapi.components.ValidationError),
    );
  });

  it("gives each operation FastAPI's generated operationId, from the handler function's name", async () => {
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    expect(document.paths['/search'].get.operationId).toBe('search_search_get');
  });

  it.each(openapi.operationIds)('generates $operationId', async ({ function: name, method, path, operationId }) => {
    const { fastApiOperationId } = await import('@mlms/service-kit');

    expect(fastApiOperationId(name, path.replace(/\{(\w+)\}/g, ':$1'), method)).toBe(operationId);
  });
});

/** Sends raw bytes to a listening app and returns the whole answer (the server closes or the timeout ends it). */
async function rawExchange(port: number, request: string): Promise<string> {
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
      // One answer is enough for a request that keeps the connection open.
      if (/\r\n\r\n/.test(answer) && /content-length: (\d+)/i.test(answer)) {
        const length = Number(/content-length: (\d+)/i.exec(answer)?.[1]);
        if (Buffer.byteLength(answer.split('\r\n\r\n').slice(1).join('\r\n\r\n')) >= length) socket.end();
      }
    });
    socket.on('end', () => resolve(answer));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
    socket.write(request);
  });
}

describe('FastAPI compatibility: errors below the routes', () => {
  let port: number;
  beforeAll(async () => {
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });

  it('answers a malformed request line with 400 {"detail": ...} as JSON, nosniff', async () => {
    const answer = await rawExchange(port, 'GARBAGE\r\n\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('content-type: application/json\r\n');
    expect(answer).toContain('x-content-type-options: nosniff\r\n');
    expect(answer.endsWith('\r\n\r\n{"detail":"Bad Request"}')).toBe(true);
  });

  it('answers headers over the size limit with 431 {"detail": ...}', async () => {
    const answer = await rawExchange(
      port,
      `GET /search?title=a HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );

    expect(answer).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(answer.endsWith('{"detail":"Request Header Fields Too Large"}')).toBe(true);
  });

  it('answers an HTTP/1.1 request without Host with 400 {"detail": ...}', async () => {
    const answer = await rawExchange(port, 'GET /search?title=a HTTP/1.1\r\nConnection: close\r\n\r\n');

    expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(answer).toContain('content-type: application/json\r\n');
    expect(answer.endsWith('{"detail":"Bad Request"}')).toBe(true);
  });

  it('serves a request with an Expect it does not know, as uvicorn does', async () => {
    const answer = await rawExchange(
      port,
      'GET /search?title=Irises HTTP/1.1\r\nHost: x\r\nExpect: junk\r\nConnection: close\r\n\r\n',
    );

    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.endsWith('"Irises"')).toBe(true);
  });

  it('answers a missing file under /docs/static/ with 404, not 405', async () => {
    const response = await app.inject({ method: 'GET', url: '/docs/static/no-such-file.js' });

    expect(response.statusCode).toBe(404);
    expect(response.body).toBe('{"detail":"Not Found"}');
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('never echoes a malformed path or a too long parameter', async () => {
    const badEncoding = await app.inject({ method: 'GET', url: '/artworks/%zz%3Cscript%3E' });
    const tooLong = await app.inject({ method: 'GET', url: `/artworks/${'9'.repeat(300)}` });

    for (const response of [badEncoding, tooLong]) {
      expect(response.body).not.toContain('script');
      expect(response.body).not.toContain('999');
      expect(Object.keys(response.json())).toEqual(['detail']);
    }
  });
});
