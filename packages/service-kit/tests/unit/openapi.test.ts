import {
  errorResponse,
  errorSchema,
  healthPlugin,
  type ServiceApp,
  validationErrorResponse,
  validationErrorSchema,
} from '@mlms/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, TEST_OPENAPI } from './support/test-app.js';

let app: ServiceApp;

beforeEach(async () => {
  app = await createTestApp();
  await app.register(healthPlugin, { checks: {}, checkTimeoutMs: 100, cacheMs: 0 });
  app.get(
    '/api/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Search artworks by title',
        querystring: z.object({ title: z.string().describe('Words from the title.') }),
        response: { 200: z.object({ url: z.string() }), 404: errorSchema, 422: validationErrorSchema },
      },
    },
    async () => ({ url: 'https://images.example/1.jpg' }),
  );
  await app.ready();
});

afterEach(async () => {
  await app.close();
});

/** Follows redirects the way a browser does, within the app, and returns the final response and URL. */
async function getFollowingRedirects(url: string): Promise<{ url: string; statusCode: number; body: string }> {
  let current = new URL(url, 'http://service.test');
  for (let hop = 0; hop < 5; hop++) {
    const response = await app.inject({ method: 'GET', url: current.pathname + current.search });
    const location = response.headers.location;
    if (response.statusCode < 300 || response.statusCode >= 400 || typeof location !== 'string') {
      return { url: current.href, statusCode: response.statusCode, body: response.body };
    }
    current = new URL(location, current);
  }
  throw new Error(`${url} redirects more than 5 times`);
}

describe('GET /openapi.json', () => {
  it("is an OpenAPI 3.1 document with the service's title, version and description", async () => {
    // Given
    const url = '/openapi.json';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(200);
    const document = response.json();
    expect(document.openapi).toBe('3.1.0');
    expect(document.info).toEqual({
      title: TEST_OPENAPI.title,
      version: TEST_OPENAPI.version,
      description: TEST_OPENAPI.description,
    });
  });

  it('lists a registered route with its query parameter and its 200 and 422 responses', async () => {
    // Given
    const url = '/openapi.json';

    // When
    const document = (await app.inject({ method: 'GET', url })).json();

    // Then
    const operation = document.paths['/api/search']?.get;
    expect(operation.summary).toBe('Search artworks by title');
    expect(operation.tags).toEqual(['search']);
    expect(operation.parameters).toEqual([
      expect.objectContaining({ in: 'query', name: 'title', required: true, description: 'Words from the title.' }),
    ]);
    expect(Object.keys(operation.responses).sort()).toEqual(['200', '404', '422']);
    expect(JSON.stringify(operation.responses['422'])).toContain('ValidationError');
  });

  it('describes the shared error bodies as reusable components', async () => {
    // Given
    const url = '/openapi.json';

    // When
    const document = (await app.inject({ method: 'GET', url })).json();

    // Then
    expect(Object.keys(document.components.schemas)).toEqual(
      expect.arrayContaining(['Error', 'HTTPValidationError', 'ValidationError']),
    );
  });

  it('given the shared error schemas, when documented, then their examples name no particular service', async () => {
    // Given
    const url = '/openapi.json';

    // When
    const { schemas } = (await app.inject({ method: 'GET', url })).json().components;

    // Then
    expect(schemas.Error.example).toEqual({ detail: 'Not Found' });
    // The validation components are FastAPI's own definitions, which carry no example.
    expect(schemas.HTTPValidationError.example).toBeUndefined();
    expect(schemas.ValidationError.example).toBeUndefined();
  });

  it("given a route's own error responses, when documented, then each status shows that route's example", async () => {
    // Given
    const routeApp = await createTestApp();
    routeApp.get(
      '/items/:id',
      {
        schema: {
          params: z.object({ id: z.string() }),
          response: {
            200: z.object({ id: z.string() }),
            404: errorResponse('No item has this ID.', 'No item with ID 42.'),
            422: validationErrorResponse('The ID is not a number.', {
              type: 'int_parsing',
              loc: ['path', 'id'],
              msg: 'Input should be a valid integer, unable to parse string as an integer',
              input: 'abc',
            }),
          },
        },
      },
      async (request) => ({ id: request.params.id }),
    );

    // When
    const document = (await routeApp.inject({ method: 'GET', url: '/openapi.json' })).json();
    await routeApp.close();

    // Then
    const responses = document.paths['/items/{id}'].get.responses;
    expect(responses['404'].description).toBe('No item has this ID.');
    expect(responses['404'].content['application/json'].schema.example).toEqual({ detail: 'No item with ID 42.' });
    expect(responses['422'].description).toBe('The ID is not a number.');
    const validation = responses['422'].content['application/json'];
    expect(validation.example).toEqual({
      detail: [
        {
          type: 'int_parsing',
          loc: ['path', 'id'],
          msg: 'Input should be a valid integer, unable to parse string as an integer',
          input: 'abc',
        },
      ],
    });
    expect(validation.schema).toEqual({ $ref: '#/components/schemas/HTTPValidationError' });
  });

  it('lists only referenced components, without the $schema and $id keys that confuse Swagger UI', async () => {
    // When
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();

    // Then
    const names = Object.keys(document.components.schemas);
    expect(names.filter((name) => name.endsWith('Input'))).toEqual([]);
    for (const schema of Object.values(document.components.schemas) as Record<string, unknown>[]) {
      expect(schema).not.toHaveProperty('$schema');
      expect(schema).not.toHaveProperty('$id');
    }
    const text = JSON.stringify(document);
    for (const name of names) expect(text).toContain(`"#/components/schemas/${name}"`);
  });

  it('documents the health probes and hides /metrics, /openapi.json and the docs routes', async () => {
    // Given
    const url = '/openapi.json';

    // When
    const document = (await app.inject({ method: 'GET', url })).json();

    // Then
    expect(Object.keys(document.paths).sort()).toEqual(['/api/search', '/health/live', '/health/ready']);
    expect(Object.keys(document.paths['/health/ready'].get.responses).sort()).toEqual(['200', '503']);
  });
});

describe('GET /docs', () => {
  it('serves the Swagger UI page', async () => {
    // Given
    const url = '/docs';

    // When
    const page = await getFollowingRedirects(url);

    // Then
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/<html/i);
    expect(page.body).toContain('swagger-ui');
  });

  it('serves every script and stylesheet the page refers to from the package itself', async () => {
    // Given
    const page = await getFollowingRedirects('/docs');
    const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] as string);

    // When
    const responses = await Promise.all(assets.map((asset) => getFollowingRedirects(new URL(asset, page.url).href)));

    // Then
    expect(assets.filter((asset) => asset.endsWith('.js')).length).toBeGreaterThan(0);
    expect(assets.filter((asset) => asset.endsWith('.css')).length).toBeGreaterThan(0);
    expect(assets.every((asset) => new URL(asset, page.url).host === 'service.test')).toBe(true);
    expect(responses.map((response) => response.statusCode)).toEqual(assets.map(() => 200));
  });

  it('sends a Content-Security-Policy that keeps plain-HTTP deployments working', async () => {
    // Given
    const url = '/docs';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("object-src 'none'");
    expect(policy).not.toContain('upgrade-insecure-requests');
  });

  it('points Swagger UI at the same OpenAPI document', async () => {
    // Given
    const url = '/docs/json';

    // When
    const response = await app.inject({ method: 'GET', url });

    // Then
    expect(response.statusCode).toBe(200);
    expect(response.json().paths['/api/search']).toBeDefined();
  });
});
