import { NotFoundError, type ServiceApp, UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../../src/app.js';
import type { ArtworkSearchQuery, ArtworkSearchResult } from '../../../src/dto/artwork.js';
import type { SearchService } from '../../../src/service/search-service.js';
import { socratesArtwork } from '../../support/artworks.js';
import { testConfig } from '../../support/config.js';

const socrates = socratesArtwork(3);

/** A business layer stand-in: answers or fails as each test needs, and records its calls. */
function stubService(behaviour: {
  search?: () => Promise<ArtworkSearchResult>;
  get?: () => Promise<ArtworkSearchResult>;
}) {
  const calls: { searchByTitle: ArtworkSearchQuery[]; getArtwork: number[] } = { searchByTitle: [], getArtwork: [] };
  const service = {
    async searchByTitle(query: ArtworkSearchQuery) {
      calls.searchByTitle.push(query);
      return (behaviour.search ?? (async () => socrates))();
    },
    async getArtwork(objectId: number) {
      calls.getArtwork.push(objectId);
      return (behaviour.get ?? (async () => ({ ...socrates, totalResults: 1 })))();
    },
    async listDepartments() {
      return [{ id: 11, name: 'European Paintings' }];
    },
  };
  return { service: service as unknown as SearchService, calls };
}

let app: ServiceApp;
afterEach(async () => {
  await app?.close();
});

async function appWith(behaviour: Parameters<typeof stubService>[0] = {}) {
  const stub = stubService(behaviour);
  app = await buildApp(testConfig(), { searchService: stub.service });
  return stub;
}

describe('GET /api/search', () => {
  it('answers 200 with the image URL as a bare JSON string, byte for byte like the original', async () => {
    // Given
    const { calls } = await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search?title=The%20Death%20of%20Socrates' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toBe('"https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg"');
    expect(calls.searchByTitle).toEqual([{ title: 'The Death of Socrates' }]);
  });

  it('trims surrounding whitespace from the title before searching', async () => {
    // Given
    const { calls } = await appWith();

    // When
    await app.inject({ method: 'GET', url: '/api/search?title=%20%20socrates%20' });

    // Then
    expect(calls.searchByTitle).toEqual([{ title: 'socrates' }]);
  });

  it('answers 404 {"detail":"No results found."} when nothing matches', async () => {
    // Given
    await appWith({
      search: async () => {
        throw new NotFoundError('No results found.');
      },
    });

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search?title=zzzz' });

    // Then
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe('{"detail":"No results found."}');
  });

  it('answers 422 in FastAPI shape when the title is missing', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search' });

    // Then
    // Byte for byte what the Python original (`def search(title: str)`) answers: FastAPI's missing-parameter entry
    // (packages/service-kit/tests/fixtures/fastapi/validation-errors.json).
    expect(response.statusCode).toBe(422);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.body).toBe(
      '{"detail":[{"type":"missing","loc":["query","title"],"msg":"Field required","input":null}]}',
    );
  });

  const blank =
    '"msg":"Value error, title must not be blank: give part of an artwork title, e.g. \\"The Death of Socrates\\""';
  it.each([
    ['blank', '%20%20%20', `{"type":"value_error","loc":["query","title"],${blank},"input":"   ","ctx":{"error":{}}}`],
    ['empty', '', `{"type":"value_error","loc":["query","title"],${blank},"input":"","ctx":{"error":{}}}`],
    [
      'over 200 characters',
      'a'.repeat(201),
      `{"type":"string_too_long","loc":["query","title"],"msg":"String should have at most 200 characters","input":"${'a'.repeat(201)}","ctx":{"max_length":200}}`,
    ],
  ])('answers 422 naming the title when it is %s, as pydantic v2 would', async (_case, title, entry) => {
    // Given
    const { calls } = await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: `/api/search?title=${title}` });

    // Then: what FastAPI answers for `title: Annotated[str, Query(max_length=200), AfterValidator(not_blank)]`.
    expect(response.statusCode).toBe(422);
    expect(response.body).toBe(`{"detail":[${entry}]}`);
    expect(calls.searchByTitle).toEqual([]);
  });

  it('accepts a title of exactly 200 characters', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: `/api/search?title=${'a'.repeat(200)}` });

    // Then
    expect(response.statusCode).toBe(200);
  });

  it('counts characters, not UTF-16 units: 200 emoji are accepted, 201 are not', async () => {
    // Given
    await appWith();
    const emoji = (count: number) => encodeURIComponent('🎨'.repeat(count));

    // When
    const accepted = await app.inject({ method: 'GET', url: `/api/search?title=${emoji(200)}` });
    const refused = await app.inject({ method: 'GET', url: `/api/search?title=${emoji(201)}` });

    // Then
    expect(accepted.statusCode).toBe(200);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().detail[0]).toMatchObject({ loc: ['query', 'title'], type: 'string_too_long' });
  });

  it('searches the last title when the title is given twice, as FastAPI does', async () => {
    // Given
    const { calls } = await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search?title=Sunflowers&title=Irises' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(calls.searchByTitle).toEqual([{ title: 'Irises' }]);
  });

  it('redirects /api/search/ to /api/search with 307, query kept, as FastAPI does', async () => {
    // Given
    const { calls } = await appWith();

    // When
    const response = await app.inject({
      method: 'GET',
      url: '/api/search/?title=Irises',
      headers: { host: 'localhost:8000' },
    });

    // Then
    expect(response.statusCode).toBe(307);
    expect(response.headers.location).toBe('http://localhost:8000/api/search?title=Irises');
    expect(response.body).toBe('');
    expect(calls.searchByTitle).toEqual([]);
  });

  it('answers 502 with the explanation when the Met fails', async () => {
    // Given
    await appWith({
      search: async () => {
        throw new UpstreamError('Met Collection API', 'status', 'Met Collection API answered HTTP 503.');
      },
    });

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search?title=socrates' });

    // Then
    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({ detail: 'Met Collection API answered HTTP 503.' });
  });

  it('answers 504 when the Met times out', async () => {
    // Given
    await appWith({
      search: async () => {
        throw new UpstreamTimeoutError('Met Collection API', 5000);
      },
    });

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search?title=socrates' });

    // Then
    expect(response.statusCode).toBe(504);
    expect(response.json()).toEqual({ detail: 'Met Collection API did not answer within 5000 ms.' });
  });

  it('answers 500 without leaking the message when the service has a bug', async () => {
    // Given
    await appWith({
      search: async () => {
        throw new TypeError('cannot read properties of undefined (secret internals)');
      },
    });

    // When
    const response = await app.inject({ method: 'GET', url: '/api/search?title=socrates' });

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ detail: 'Internal Server Error' });
  });
});

describe('GET /api/v1/artworks/search', () => {
  it('answers 200 with the artwork DTO', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/v1/artworks/search?title=socrates' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual(socrates);
  });

  it('passes a departmentId filter as a number', async () => {
    // Given
    const { calls } = await appWith();

    // When
    await app.inject({ method: 'GET', url: '/api/v1/artworks/search?title=socrates&departmentId=11' });

    // Then
    expect(calls.searchByTitle).toEqual([{ title: 'socrates', departmentId: 11 }]);
  });

  const intParsing = (input: string) =>
    `{"type":"int_parsing","loc":["query","departmentId"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"${input}"}`;
  it.each([
    ['abc', intParsing('abc')],
    ['1.5', intParsing('1.5')],
    ['1e3', intParsing('1e3')],
    ['', intParsing('')],
    ['0x10', intParsing('0x10')],
    [
      '-3',
      '{"type":"greater_than_equal","loc":["query","departmentId"],"msg":"Input should be greater than or equal to 0","input":"-3","ctx":{"ge":0}}',
    ],
  ])('answers 422 for departmentId=%s as FastAPI does for int = Query(ge=0)', async (departmentId, entry) => {
    // Given
    await appWith();

    // When
    const response = await app.inject({
      method: 'GET',
      url: `/api/v1/artworks/search?title=socrates&departmentId=${departmentId}`,
    });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.body).toBe(`{"detail":[${entry}]}`);
  });
});

describe('GET /api/v1/artworks/:objectId', () => {
  it('answers 200 with the artwork', async () => {
    // Given
    const { calls } = await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/v1/artworks/436105' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ objectId: 436105, totalResults: 1 });
    expect(calls.getArtwork).toEqual([436105]);
  });

  it('answers 404 when the Met says the object does not exist', async () => {
    // Given
    await appWith({
      get: async () => {
        throw new NotFoundError('No artwork with object ID 1.');
      },
    });

    // When
    const response = await app.inject({ method: 'GET', url: '/api/v1/artworks/1' });

    // Then
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'No artwork with object ID 1.' });
  });

  it.each([
    ['abc', 'int_parsing'],
    ['12.5', 'int_parsing'],
    ['-1', 'greater_than_equal'],
    ['9999999999', 'less_than_equal'],
  ])('answers 422 for objectId %s', async (objectId, type) => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: `/api/v1/artworks/${objectId}` });

    // Then
    expect(response.statusCode).toBe(422);
    expect(response.json().detail).toEqual([
      expect.objectContaining({ type, loc: ['path', 'objectId'], input: objectId }),
    ]);
  });
});

describe('GET /api/v1/departments', () => {
  it('answers 200 with [{id, name}]', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/v1/departments' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual([{ id: 11, name: 'European Paintings' }]);
  });
});

describe('API documentation', () => {
  it('serves an OpenAPI 3.1 document listing every route and status code', async () => {
    // Given
    await appWith();

    // When
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    // Then
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths['/api/search'].get.responses).sort()).toEqual([
      '200',
      '404',
      '422',
      '502',
      '504',
    ]);
    expect(document.paths['/api/search'].get.parameters[0]).toMatchObject({
      name: 'title',
      in: 'query',
      required: true,
    });
    expect(document.paths).toHaveProperty(['/api/v1/artworks/{objectId}']);
    expect(document.paths).toHaveProperty(['/api/v1/departments']);
    expect(document.paths).toHaveProperty(['/health/ready']);
    expect(document.paths).not.toHaveProperty(['/metrics']);
  });

  it('shows examples of its own error answers under each status', async () => {
    // Given
    await appWith();

    // When
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    // Then
    const example = (path: string, status: string) => {
      const media = document.paths[path].get.responses[status].content['application/json'];
      return media.schema.example ?? media.example;
    };
    expect(example('/api/search', '404')).toEqual({ detail: 'No results found.' });
    expect(example('/api/search', '422')).toEqual({
      detail: [{ type: 'missing', loc: ['query', 'title'], msg: 'Field required', input: null }],
    });
    expect(example('/api/v1/artworks/{objectId}', '422').detail[0].loc).toEqual(['path', 'objectId']);
    expect(example('/api/search', '502')).toEqual({ detail: 'Met Collection API answered HTTP 503.' });
  });

  it("gives each route FastAPI's generated operationId and 422 component, as the Python original's document does", async () => {
    // Given
    await appWith();

    // When
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    // Then
    const ids = Object.values(document.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (operations) => Object.values(operations).map((operation) => operation.operationId),
    );
    expect(ids).toEqual(
      expect.arrayContaining([
        'search_api_search_get',
        'search_artworks_api_v1_artworks_search_get',
        'get_artwork_api_v1_artworks__objectId__get',
        'list_departments_api_v1_departments_get',
      ]),
    );
    expect(new Set(ids).size).toBe(ids.length);
    expect(document.paths['/api/search'].get.responses['422'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/HTTPValidationError',
    });
  });

  it('quotes the configured Met timeout in the 504 example of every route', async () => {
    // Given
    const stub = stubService({});
    app = await buildApp(testConfig({ met: { timeoutMs: 2500 } }), { searchService: stub.service });

    // When
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    // Then
    const examples = [
      '/api/search',
      '/api/v1/artworks/search',
      '/api/v1/artworks/{objectId}',
      '/api/v1/departments',
    ].map((path) => document.paths[path].get.responses['504'].content['application/json'].schema.example);
    expect(examples).toEqual(Array(4).fill({ detail: 'Met Collection API did not answer within 2500 ms.' }));
  });

  it('serves Swagger UI at /docs', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/docs/' });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('swagger-ui');
  });
});

describe('unknown routes', () => {
  it('answers 405 with an Allow header for a known path and another method, as FastAPI does', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'POST', url: '/api/search?title=socrates' });

    // Then
    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe('GET, HEAD');
    expect(response.json()).toEqual({ detail: 'Method Not Allowed' });
  });

  it('answers 404 {"detail":"Not Found"} as FastAPI does', async () => {
    // Given
    await appWith();

    // When
    const response = await app.inject({ method: 'GET', url: '/api/nothing-here' });

    // Then
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ detail: 'Not Found' });
  });
});
