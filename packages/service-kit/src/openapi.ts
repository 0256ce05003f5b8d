import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

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
    await app.register(fastifySwagger, {
      openapi: {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, description: options.description },
        tags: options.tags ?? [],
      },
      transform: jsonSchemaTransform,
      transformObject: (documentObject) => tidyComponents(jsonSchemaTransformObject(documentObject)),
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
  },
  { name: 'service-kit-openapi', fastify: '5.x' },
);

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
