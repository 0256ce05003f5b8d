import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TrainedModel, trainSmallModel } from '../../test-support/trained-model.js';
import { forEachConcurrently, NoAnswer, type RequestSpec, send, sendRaw, Tally } from './support/http.js';
import {
  mb,
  removeScratch,
  residentBytes,
  type ServiceName,
  type ServiceProcess,
  startService,
} from './support/services.js';

/**
 * 10,000 malformed requests, generated from a fixed seed, spread over the public endpoints of every service and the
 * emulator's Met API: broken and mistyped JSON, huge numbers, unknown fields, foreign content types, broken query
 * strings, long paths and parameters, bodies over the limit, wrong methods, malformed request lines and headers.
 * None may be answered with a 5xx or left without an answer, each process must still be the one that started, and its
 * resident memory may not have grown by more than 20 % over what it was after a warm-up (it may shrink: the warm-up
 * leaves garbage that a later collection returns to the OS).
 */
const CASES = 10_000;
const CONCURRENCY = 16;
const SEED = 20_261_201;
const WARM_UP_PER_SERVICE = 300;
const SETTLE_MS = 1500;

interface HttpCase {
  service: ServiceName;
  kind: string;
  spec: RequestSpec;
}
interface RawCase {
  service: ServiceName;
  kind: string;
  raw: string;
}
type Case = HttpCase | RawCase;

const HOUSE = { id: 1, grossLivingArea: 1710, yearBuilt: 2003, garageCars: 2 };
const JSON_TYPE = { 'content-type': 'application/json' };

/** JSON posts of each service, with a body that is valid there (the base that the mutations break). */
interface JsonRoute {
  service: ServiceName;
  path: string;
  valid: () => unknown;
  /** Bytes above which the service refuses the body. */
  limit: number;
}

/** GET routes of each service whose parameters are worth breaking. */
const GET_ROUTES: Record<ServiceName, string[]> = {
  'art-search': [
    '/api/search',
    '/api/v1/artworks/search',
    '/api/v1/artworks/436105',
    '/api/v1/departments',
    '/health/ready',
    '/openapi.json',
  ],
  'model-server': [
    '/ping',
    '/version',
    '/v2',
    '/v2/models/housing-price',
    '/v2/models/housing-price/ready',
    '/v2/health/ready',
  ],
  'price-orchestrator': ['/health/live', '/health/ready', '/openapi.json', '/api/v1/price/predict'],
  'met-emulator': [
    '/public/collection/v1/search',
    '/public/collection/v1/objects',
    '/public/collection/v1/objects/436105',
    '/public/collection/v1/departments',
  ],
};

const SERVICES = Object.keys(GET_ROUTES) as ServiceName[];

const brokenJson = fc.oneof(
  fc.constantFrom('{', '{"id":', '[1,2', 'nul', '{"id": 1,}', "{'id': 1}", '{"a":NaN}', '\u0000', '"', '{}}', ''),
  fc.string({ maxLength: 64 }),
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.integer({ min: 1, max: 5000 }).map((depth) => '['.repeat(depth)),
  fc.integer({ min: 1, max: 2000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
);
const hugeNumber = fc.constantFrom(
  '1e309',
  '-1e309',
  '123456789012345678901234567890',
  '9007199254740993',
  '1e-400',
  '-0',
  '0.0000000000000000000000001',
  '99999999999999999999999999999999999999e99999',
);
const anyJson = fc.jsonValue({ maxDepth: 3 });
const weirdText = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '%FF%FE',
    '../../etc/passwd',
    '<script>',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4j-style lookup, sent as it is.
    '${jndi:x}',
    ' ',
    '\t',
    '0x10',
  ),
  fc.integer().map(String),
  hugeNumber,
);
const contentType = fc.constantFrom(
  'text/plain',
  'application/xml',
  'multipart/form-data; boundary=x',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/x-www-form-urlencoded',
  'text/csv',
  'application/json;;;',
  '*/*',
  'application/vnd.api+json',
);

/** Replaces one key's value of a valid object by a wrongly typed, huge or absurd one, or adds unknown keys. */
function mutate(valid: unknown): fc.Arbitrary<string> {
  const base = (typeof valid === 'object' && valid !== null ? valid : {}) as Record<string, unknown>;
  const keys = Object.keys(base);
  return fc.oneof(
    fc
      .tuple(fc.constantFrom(...(keys.length > 0 ? keys : ['id'])), anyJson)
      .map(([key, value]) => JSON.stringify({ ...base, [key]: value })),
    fc
      .tuple(fc.constantFrom(...(keys.length > 0 ? keys : ['id'])), hugeNumber)
      .map(([key, literal]) => JSON.stringify({ ...base, [key]: 0 }).replace(`"${key}":0`, `"${key}":${literal}`)),
    fc
      .dictionary(fc.string({ minLength: 1, maxLength: 12 }), anyJson, { minKeys: 1, maxKeys: 4 })
      .map((extra) => JSON.stringify({ ...base, ...extra })),
    anyJson.map((value) => JSON.stringify(value)),
    fc.constant(JSON.stringify({ ...base, constructor: { prototype: { x: 1 } } })),
    fc.constant(`{"__proto__": {"polluted": true}, ${JSON.stringify(base).slice(1)}`),
  );
}

function caseArbitrary(jsonRoutes: JsonRoute[]): fc.Arbitrary<Case> {
  const service = fc.constantFrom(...SERVICES);
  const jsonRoute = fc.constantFrom(...jsonRoutes);
  const getRoute = service.chain((name) => fc.tuple(fc.constant(name), fc.constantFrom(...GET_ROUTES[name])));
  const anyRoute = fc.oneof(
    getRoute,
    jsonRoute.map((route) => [route.service, route.path] as const),
  );
  const post = (route: JsonRoute, body: string | Buffer, headers: Record<string, string> = JSON_TYPE): HttpCase => ({
    service: route.service,
    kind: '',
    spec: { method: 'POST', path: route.path, headers, body },
  });
  const kinds: [string, fc.Arbitrary<Case>][] = [
    ['bad JSON', fc.tuple(jsonRoute, brokenJson).map(([route, body]) => post(route, body))],
    ['wrong types', jsonRoute.chain((route) => mutate(route.valid()).map((body) => post(route, body)))],
    [
      'content type',
      fc
        .tuple(jsonRoute, contentType, fc.oneof(fc.constant(''), brokenJson))
        .map(([route, type, junk]) => post(route, junk || JSON.stringify(route.valid()), { 'content-type': type })),
    ],
    [
      'no content type',
      jsonRoute.map((route) => ({
        service: route.service,
        kind: '',
        spec: { method: 'POST', path: route.path, body: JSON.stringify(route.valid()) },
      })),
    ],
    [
      'query string',
      fc
        .tuple(getRoute, fc.array(fc.tuple(weirdText, weirdText), { minLength: 1, maxLength: 4 }), fc.boolean())
        .map(([[name, path], pairs, raw]) => ({
          service: name,
          kind: '',
          spec: {
            path: `${path}?${pairs
              .map(([key, value]) =>
                raw
                  ? `${encodeLoosely(key)}=${encodeLoosely(value)}`
                  : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`,
              )
              .join('&')}`,
          },
        })),
    ],
    [
      'known parameter',
      fc
        .tuple(
          service,
          fc.constantFrom('title', 'departmentId', 'q', 'hasImages', 'departmentIds', 'metadataDate', 'isHighlight'),
          weirdText,
        )
        .map(([name, key, value]) => ({
          service: name,
          kind: '',
          spec: {
            path: `${name === 'met-emulator' ? '/public/collection/v1/search' : '/api/v1/artworks/search'}?${key}=${encodeLoosely(value)}&title=x`,
          },
        })),
    ],
    [
      'path parameter',
      fc.tuple(service, weirdText, fc.integer({ min: 0, max: 3000 })).map(([name, text, length]) => ({
        service: name,
        kind: '',
        spec: {
          path: `${pathWithParameter(name)}${encodeLoosely(text)}${'9'.repeat(length)}`,
        },
      })),
    ],
    [
      'long path',
      fc.tuple(service, fc.integer({ min: 200, max: 12_000 })).map(([name, length]) => ({
        service: name,
        kind: '',
        spec: { path: `/${'a/'.repeat(length / 2)}` },
      })),
    ],
    [
      'wrong method',
      fc
        .tuple(anyRoute, fc.constantFrom('PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'GET', 'POST'))
        .map(([[name, path], method]) => ({
          service: name,
          kind: '',
          spec: { method, path, headers: JSON_TYPE, body: method === 'GET' || method === 'HEAD' ? undefined : '{}' },
        })),
    ],
    [
      'odd headers',
      fc
        .tuple(
          anyRoute,
          fc.constantFrom(
            { 'x-request-id': '../../etc/passwd\\u0000' },
            { 'x-request-id': 'a'.repeat(500) },
            { accept: 'application/xml' },
            { accept: '*/*;q=abc' },
            { expect: '200-ok' },
            { expect: '100-continue' },
            { 'content-encoding': 'gzip' },
            { 'accept-encoding': 'br;q=2, gzip;q=-1' },
            { range: 'bytes=-1-2' },
            { 'if-none-match': '*'.repeat(100) },
            { 'mcp-session-id': 'not-a-session' },
            { cookie: 'a=b; '.repeat(200) },
          ),
        )
        .map(([[name, path], headers]) => ({
          service: name,
          kind: '',
          spec: { method: 'POST', path, headers: { ...JSON_TYPE, ...headers }, body: '{"a":1}' },
        })),
    ],
    [
      'declared body over the limit',
      fc.tuple(jsonRoute, fc.integer({ min: 1, max: 100_000_000 })).map(([route, extra]) => ({
        service: route.service,
        kind: '',
        raw:
          `POST ${route.path} HTTP/1.1\r\nhost: localhost\r\ncontent-type: application/json\r\n` +
          `content-length: ${route.limit + extra}\r\n\r\n{"a":"${'x'.repeat(4096)}`,
      })),
    ],
    [
      'malformed request',
      fc
        .tuple(
          service,
          fc.constantFrom(
            'GETT / HTTP/1.1\r\nhost: x\r\n\r\n',
            'GET / HTTP/9.9\r\nhost: x\r\n\r\n',
            'GET  HTTP/1.1\r\nhost: x\r\n\r\n',
            'GET /health/live HTTP/1.1\r\n\r\n',
            'GET /health/live HTTP/1.1\r\nhost: x\r\nno colon here\r\n\r\n',
            'GET /health/live HTTP/1.1\r\nhost: x\r\nbad name: y\r\n\r\n',
            'GET /health/live HTTP/1.1\r\nhost: x\r\nx-a: \u0001\u0002\r\n\r\n',
            'POST /api/v1/price/predict HTTP/1.1\r\nhost: x\r\ncontent-length: abc\r\n\r\n{}',
            'POST /invocations HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\ncontent-length: 3\r\n\r\n{}',
            'POST /invocations HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
            'POST /mcp HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\ncontent-length: 2\r\n\r\n{}',
            `GET /health/live HTTP/1.1\r\nhost: x\r\nx-big: ${'y'.repeat(20_000)}\r\n\r\n`,
            `GET /${'z'.repeat(20_000)} HTTP/1.1\r\nhost: x\r\n\r\n`,
            '\r\n\r\nGET /health/live HTTP/1.1\r\nhost: x\r\n\r\n',
            'GET /health/live HTTP/1.1\r\nhost: x\r\n\r\n{"garbage after the request":1}',
            'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
          ),
        )
        .map(([name, raw]) => ({ service: name, kind: '', raw })),
    ],
  ];
  return fc.oneof(...kinds.map(([kind, arbitrary]) => arbitrary.map((item) => ({ ...item, kind }))));
}

/** Encodes only what would make node:http refuse the path (spaces, controls, non-ASCII), leaving `%` and the rest. */
function encodeLoosely(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be escaped here.
  return text.replace(/[\s\u0000-\u001f\u007f-\uffff#]/g, (character) => encodeURIComponent(character));
}

function pathWithParameter(service: ServiceName): string {
  if (service === 'art-search') return '/api/v1/artworks/';
  if (service === 'model-server') return '/v2/models/';
  if (service === 'met-emulator') return '/public/collection/v1/objects/';
  return '/api/v1/price/predict/';
}

describe('bad input at volume', () => {
  let model: TrainedModel;
  const services = {} as Record<ServiceName, ServiceProcess>;
  let exampleRows: string;

  beforeAll(async () => {
    model = await trainSmallModel();
    exampleRows = await readFile(join(model.modelDir, 'serving_input_example.json'), 'utf8');
    services['met-emulator'] = await startService('met-emulator');
    [services['art-search'], services['model-server']] = await Promise.all([
      startService('art-search', { env: { MET_API_URL: services['met-emulator'].url } }),
      startService('model-server', { env: { MODEL_URI: model.modelDir } }),
    ]);
    services['price-orchestrator'] = await startService('price-orchestrator', {
      env: { MODEL_SERVER_URL: services['model-server'].url },
    });
  }, 90_000);
  afterAll(async () => {
    await Promise.all(Object.values(services).map((service) => service.kill()));
    await model?.remove();
    await removeScratch();
  });

  it('Given every service warmed up, When 10,000 generated malformed requests arrive 16 at a time, Then each is answered without a 5xx, every process survives and its memory has not grown', async () => {
    // Given
    const rows = JSON.parse(exampleRows) as { dataframe_split: { columns: string[]; data: unknown[][] } };
    const jsonRoutes: JsonRoute[] = [
      { service: 'model-server', path: '/invocations', valid: () => rows, limit: 10_485_760 },
      {
        service: 'model-server',
        path: '/v2/models/housing-price/infer',
        valid: () => ({ inputs: [{ name: 'Gr_Liv_Area', shape: [1], datatype: 'FP64', data: [1710] }] }),
        limit: 10_485_760,
      },
      { service: 'price-orchestrator', path: '/api/v1/price/predict', valid: () => HOUSE, limit: 1_048_576 },
      {
        service: 'price-orchestrator',
        path: '/api/v1/price/predict/batch',
        valid: () => ({ houses: [HOUSE, { ...HOUSE, id: 2 }] }),
        limit: 8_388_608,
      },
      {
        service: 'art-search',
        path: '/mcp',
        valid: () => ({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        limit: 1_048_576,
      },
    ];
    const warmUp: [ServiceName, RequestSpec][] = [
      ['art-search', { path: '/api/search?title=The%20Death%20of%20Socrates' }],
      ['art-search', { path: '/api/v1/artworks/search?title=portrait' }],
      ['model-server', { method: 'POST', path: '/invocations', headers: JSON_TYPE, body: exampleRows }],
      [
        'price-orchestrator',
        { method: 'POST', path: '/api/v1/price/predict', headers: JSON_TYPE, body: JSON.stringify(HOUSE) },
      ],
      ['met-emulator', { path: '/public/collection/v1/search?q=portrait&title=true' }],
      // The MCP route builds a server and a transport per request: the heap it grows to is part of the warm-up.
      [
        'art-search',
        {
          method: 'POST',
          path: '/mcp',
          headers: { ...JSON_TYPE, accept: 'application/json, text/event-stream' },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
        },
      ],
    ];
    const agents = Object.fromEntries(
      SERVICES.map((name) => [name, new Agent({ keepAlive: true, maxSockets: CONCURRENCY })]),
    );
    const warmUpRequests = warmUp.flatMap((item) => Array.from({ length: WARM_UP_PER_SERVICE }, () => item));
    await forEachConcurrently(warmUpRequests, CONCURRENCY, async ([name, spec]) => {
      expect((await send(services[name].port, spec, { agent: agents[name] })).status).toBe(200);
    });
    await sleep(SETTLE_MS);
    const pids = Object.fromEntries(SERVICES.map((name) => [name, services[name].pid]));
    const before = Object.fromEntries(
      await Promise.all(SERVICES.map(async (name) => [name, await residentBytes(services[name].pid)] as const)),
    );
    const cases = fc.sample(caseArbitrary(jsonRoutes), { numRuns: CASES, seed: SEED });

    // When
    const statuses = Object.fromEntries(SERVICES.map((name) => [name, new Tally()])) as Record<ServiceName, Tally>;
    const byKind = new Tally();
    const serverErrors: string[] = [];
    const noAnswer: string[] = [];
    const started = performance.now();
    await forEachConcurrently(cases, CONCURRENCY, async (item) => {
      byKind.add(item.kind);
      const { port } = services[item.service];
      let status: number | undefined;
      try {
        status =
          'raw' in item
            ? await sendRaw(port, item.raw)
            : (await send(port, item.spec, { agent: agents[item.service] })).status;
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
        noAnswer.push(`${item.service} ${item.kind} ${error.code}: ${summarize(item)}`);
        return;
      }
      statuses[item.service].add(status ?? 'closed');
      if (status !== undefined && status >= 500)
        serverErrors.push(`${item.service} ${item.kind} ${status}: ${summarize(item)}`);
    });
    const elapsedMs = performance.now() - started;
    for (const agent of Object.values(agents)) agent.destroy();
    await sleep(SETTLE_MS);
    const after = Object.fromEntries(
      await Promise.all(SERVICES.map(async (name) => [name, await residentBytes(services[name].pid)] as const)),
    );

    // Then
    console.log(
      `resilience: bad input: ${CASES} requests in ${(elapsedMs / 1000).toFixed(1)} s at concurrency ${CONCURRENCY} ` +
        `(seed ${SEED}), 5xx ${serverErrors.length}, no answer ${noAnswer.length}, kinds ${byKind}`,
    );
    for (const name of SERVICES) {
      const growth = (after[name] as number) / (before[name] as number) - 1;
      console.log(
        `resilience: bad input: ${name}: statuses ${statuses[name]}, RSS ${mb(before[name] as number)} MB before, ` +
          `${mb(after[name] as number)} MB after (${(growth * 100).toFixed(1)} %), pid ${services[name].pid} alive ${services[name].alive()}`,
      );
    }
    expect(serverErrors.slice(0, 10)).toEqual([]);
    expect(noAnswer.slice(0, 10)).toEqual([]);
    for (const name of SERVICES) {
      expect(services[name].alive(), name).toBe(true);
      expect(services[name].pid, name).toBe(pids[name]);
      expect(
        (await send(services[name].port, warmUp.find(([service]) => service === name)?.[1] as RequestSpec)).status,
      ).toBe(200);
      expect(after[name] as number, name).toBeLessThanOrEqual((before[name] as number) * 1.2);
    }
  }, 120_000);
});

/** A case as one line for a failure message: method, path and the start of the body or raw bytes. */
function summarize(item: Case): string {
  if ('raw' in item) return JSON.stringify(item.raw.slice(0, 160));
  const body = item.spec.body === undefined ? '' : ` ${JSON.stringify(String(item.spec.body).slice(0, 160))}`;
  return `${item.spec.method ?? 'GET'} ${item.spec.path.slice(0, 160)} ${JSON.stringify(item.spec.headers ?? {})}${body}`;
}
