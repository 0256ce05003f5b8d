import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

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
      transformObject: jsonSchemaTransformObject,
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
