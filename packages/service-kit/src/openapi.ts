import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { validationErrorSchema } from './error-handler.js';

type OpenApiDocument = ReturnType<typeof jsonSchemaTransformObject>;
type SchemaMap = Record<string, Record<string, unknown>>;

export interface OpenApiOptions {
  title: string;
  version: string;
  description: string;
  tags?: { name: string; description: string }[];
}

/**
 * OpenAPI 3.1 generated from the same zod schemas that validate requests and responses, served at
 * `/openapi.json`, with Swagger UI at `/docs` (its assets ship in the package, so it works offline).
 */
export const openApiPlugin = fp(
  async (app: FastifyInstance, options: OpenApiOptions) => {
    const examples: ResponseExample[] = [];
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, description: options.description },
        tags: options.tags ?? [],
      },
      transform: (input) => {
        examples.push(...responseExamples(input));
        return withOperationId(jsonSchemaTransform(withValidationResponse(input)), input.route);
      },
      transformObject: (documentObject) =>
        withResponseExamples(fastApiComponents(tidyComponents(jsonSchemaTransformObject(documentObject))), examples),
    });
    await app.register(fastifySwaggerUi, {
      routePrefix: '/docs',
      uiConfig: { deepLinking: true, displayRequestDuration: true, tryItOutEnabled: false },
      staticCSP: true,
      // The service speaks plain HTTP (TLS, if any, ends at the load balancer). With upgrade-insecure-requests a
      // browser opening http://<host>/docs fetches the UI's own scripts over https and gets a blank page;
      // loopback is exempt, so this only shows up once deployed.
      transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, ''),
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    // FastAPI's ReDoc page (`fastapi/openapi/docs.py`, `get_redoc_html`), byte for byte: like FastAPI's, it loads
    // ReDoc's script from the jsDelivr CDN, as no ReDoc bundle ships in our dependencies (see the README).
    app.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').send(redocHtml(`${options.title} - ReDoc`, '/openapi.json')),
    );
  },
  { name: 'service-kit-openapi', fastify: '5.x' },
);

/**
 * FastAPI's `generate_unique_id` (`fastapi/utils.py`): the endpoint function's name, then the path with every
 * non-word character as `_`, then the method, e.g. `search_api_search_get`. The name is the handler function's
 * own in snake_case (name it as the Python original's endpoint), else one made from the path.
 */
export function fastApiOperationId(name: string, url: string, method: string): string {
  const pathFormat = url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return `${`${name}${pathFormat}`.replace(/[^\p{L}\p{N}_]/gu, '_')}_${method.toLowerCase()}`;
}

type TransformResult = ReturnType<typeof jsonSchemaTransform>;
type TransformInput = Parameters<typeof jsonSchemaTransform>[0];

/**
 * As FastAPI documents every operation that takes parameters or a body: a 422 answered with
 * `HTTPValidationError`, unless the route documents its own.
 */
function withValidationResponse(input: TransformInput): TransformInput {
  const schema = input.schema as Record<string, unknown> | undefined;
  if (!schema || schema.hide) return input;
  const validates = ['querystring', 'params', 'body', 'headers'].some((part) => schema[part] !== undefined);
  const response = (schema.response ?? {}) as Record<string, unknown>;
  if (!validates || response[422] !== undefined || response['4XX'] !== undefined) return input;
  return {
    ...input,
    schema: { ...schema, response: { ...response, 422: validationErrorSchema.describe('Validation Error') } },
  } as TransformInput;
}

function withOperationId(result: TransformResult, route: { handler: unknown; url: string; method: string | string[] }) {
  const schema = result.schema as Record<string, unknown> | undefined;
  if (!schema || schema.hide || schema.operationId !== undefined) return result;
  // A camelCase handler name is written as its Python counterpart would be: `batchPredict` is `batch_predict`.
  const handlerName = (typeof route.handler === 'function' ? route.handler.name : '')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
  const name = handlerName || route.url.replace(/^\/|\/$/g, '').replace(/[^A-Za-z0-9]+/g, '_') || 'root';
  const method = Array.isArray(route.method) ? (route.method[0] ?? 'get') : route.method;
  return { ...result, schema: { ...schema, operationId: fastApiOperationId(name, route.url, method) } };
}

interface ResponseExample {
  path: string;
  method: string;
  status: string;
  example: unknown;
}

/**
 * Each response's own example (e.g. a route's 422), kept aside: a response schema that refers to a shared
 * component (`HTTPValidationError`) loses the example on its way into the document, so it is put back on the
 * media type, where Swagger UI and ReDoc show it.
 */
function responseExamples(input: TransformInput): ResponseExample[] {
  const schema = input.schema as Record<string, unknown> | undefined;
  const response = schema?.response as Record<string, { meta?: () => Record<string, unknown> | undefined }> | undefined;
  if (!response || schema?.hide) return [];
  const path = input.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  const method = (Array.isArray(input.route.method) ? input.route.method[0] : input.route.method) ?? 'GET';
  return Object.entries(response).flatMap(([status, responseSchema]) => {
    const example = typeof responseSchema?.meta === 'function' ? responseSchema.meta()?.example : undefined;
    return example === undefined ? [] : [{ path, method: method.toLowerCase(), status, example }];
  });
}

function withResponseExamples(document: OpenApiDocument, examples: readonly ResponseExample[]): OpenApiDocument {
  type Media = { schema?: { $ref?: string; example?: unknown }; example?: unknown };
  const paths = (document as { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>> }).paths;
  for (const { path, method, status, example } of examples) {
    const response = paths?.[path]?.[method]?.responses?.[status] as { content?: Record<string, Media> } | undefined;
    const media = response?.content?.['application/json'];
    if (media?.schema?.$ref !== undefined && media.schema.example === undefined && media.example === undefined) {
      media.example = example;
    }
  }
  return document;
}

/** `validation_error_definition` and `validation_error_response_definition` of `fastapi/openapi/utils.py`. */
export const FASTAPI_VALIDATION_COMPONENTS = {
  HTTPValidationError: {
    title: 'HTTPValidationError',
    type: 'object',
    properties: {
      detail: { title: 'Detail', type: 'array', items: { $ref: '#/components/schemas/ValidationError' } },
    },
  },
  ValidationError: {
    title: 'ValidationError',
    type: 'object',
    properties: {
      loc: { title: 'Location', type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
      msg: { title: 'Message', type: 'string' },
      type: { title: 'Error Type', type: 'string' },
      input: { title: 'Input' },
      ctx: { title: 'Context', type: 'object' },
    },
    required: ['loc', 'msg', 'type'],
  },
} as const;

/** The validation components exactly as FastAPI writes them, so generated clients get the same models. */
function fastApiComponents(document: OpenApiDocument): OpenApiDocument {
  const schemas = (document as { components?: { schemas?: SchemaMap } }).components?.schemas;
  if (schemas?.HTTPValidationError || schemas?.ValidationError) {
    schemas.HTTPValidationError = structuredClone(FASTAPI_VALIDATION_COMPONENTS.HTTPValidationError);
    schemas.ValidationError = structuredClone(FASTAPI_VALIDATION_COMPONENTS.ValidationError);
  }
  return document;
}

/** `get_redoc_html` of FastAPI 0.115 with its defaults (CDN script, Google fonts, FastAPI's favicon). */
export function redocHtml(title: string, openapiUrl: string): string {
  return `
    <!DOCTYPE html>
    <html>
    <head>
    <title>${title}</title>
    <!-- needed for adaptive design -->
    <meta charset="utf-8"/>
    <meta name="viewport" content="width=device-width, initial-scale=1">
    
    <link href="https://fonts.googleapis.com/css?family=Montserrat:300,400,700|Roboto:300,400,700" rel="stylesheet">
    
    <link rel="shortcut icon" href="https://fastapi.tiangolo.com/img/favicon.png">
    <!--
    ReDoc doesn't change outer page styles
    -->
    <style>
      body {
        margin: 0;
        padding: 0;
      }
    </style>
    </head>
    <body>
    <noscript>
        ReDoc requires Javascript to function. Please enable it to browse the documentation.
    </noscript>
    <redoc spec-url="${openapiUrl}"></redoc>
    <script src="https://cdn.jsdelivr.net/npm/redoc@2/bundles/redoc.standalone.js"> </script>
    </body>
    </html>
    `;
}

/**
 * The zod transform emits every registered schema twice (an `…Input` twin for request bodies) and stamps each
 * component with `$schema` and `$id`; Swagger UI then shows "string" as the example of a referenced body. Keep
 * only components that something references, without those two keys, so the docs show what the API sends.
 */
function tidyComponents(document: OpenApiDocument): OpenApiDocument {
  const components = (document as { components?: { schemas?: SchemaMap } }).components;
  const schemas = components?.schemas;
  if (!components || !schemas) return document;

  const referenced = new Set<string>();
  const collect = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const item of value) collect(item);
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (key === '$ref' && typeof item === 'string' && item.startsWith('#/components/schemas/')) {
          const name = item.slice('#/components/schemas/'.length);
          if (!referenced.has(name)) {
            referenced.add(name);
            collect(schemas[name]);
          }
        } else {
          collect(item);
        }
      }
    }
  };
  collect({ ...document, components: { ...components, schemas: {} } });

  components.schemas = Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => referenced.has(name))
      .map(([name, schema]) => {
        const { $schema: _schema, $id: _id, ...rest } = schema;
        return [name, rest];
      }),
  );
  return document;
}
