import type { ServiceApp } from '@mlms/service-kit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PredictionTimeoutError, type ScoringService } from '../service/scoring-service.js';
import { RequestFormatError, SchemaError } from '../views/columns.js';
import {
  decodeV2Request,
  v2Datatype,
  v2ErrorSchema,
  v2InferRequestSchema,
  v2InferResponseJson,
  v2InferResponseSchema,
  v2ModelMetadataSchema,
  v2ServerMetadataSchema,
} from '../views/v2.js';
import { MODEL_VERSION_HEADER } from './mlflow-routes.js';

export interface V2RoutesOptions {
  service: ScoringService;
  serverName: string;
  serverVersion: string;
  /** Output shapes as the graph declares them (`-1` for a symbolic dimension). */
  outputShapes: Record<string, number[]>;
  maxBodyBytes: number;
  isReady: () => boolean;
  example: Record<string, unknown> | null;
}

/** The model or version in the path is not served here (HTTP 404). */
class UnknownModelError extends Error {}

const modelParams = z.object({ name: z.string() });
const versionParams = z.object({ name: z.string(), version: z.string() });

/**
 * The Open Inference Protocol (V2) REST API, as KServe and MLServer serve MLflow models: health, server and model
 * metadata, and inference. Errors are `{"error": "..."}`.
 */
export async function registerV2Routes(app: ServiceApp, options: V2RoutesOptions): Promise<void> {
  const { service } = options;
  const { identity } = service;
  const metadata = {
    name: identity.name,
    versions: [identity.version],
    platform: 'onnx_onnxv1',
    inputs: service.inputs.map((input) => ({ name: input.name, datatype: v2Datatype(input), shape: [...input.shape] })),
    outputs: service.outputs.map((output) => ({
      name: output.name,
      datatype: output.datatype,
      shape: options.outputShapes[output.name] ?? [-1],
    })),
  };
  const checkModel = (name: string, version?: string) => {
    if (name !== identity.name || (version !== undefined && version !== identity.version)) {
      const which = version === undefined ? `'${name}'` : `'${name}' version '${version}'`;
      throw new UnknownModelError(
        `Model ${which} is not served here; this server serves '${identity.name}' version '${identity.version}'.`,
      );
    }
  };

  await app.register(async (scope) => {
    scope.setErrorHandler(answerV2Error);

    scope.get(
      '/v2/health/live',
      { schema: { tags: ['v2'], summary: 'Server liveness', response: { 200: z.object({ live: z.boolean() }) } } },
      async () => ({ live: true }),
    );
    scope.get(
      '/v2/health/ready',
      {
        schema: {
          tags: ['v2'],
          summary: 'Server readiness (the model is loaded and the server is not shutting down)',
          response: { 200: z.object({ ready: z.boolean() }), 503: z.object({ ready: z.boolean() }) },
        },
      },
      async (_request, reply) => {
        const ready = options.isReady();
        return reply.code(ready ? 200 : 503).send({ ready });
      },
    );
    scope.get(
      '/v2',
      { schema: { tags: ['v2'], summary: 'Server metadata', response: { 200: v2ServerMetadataSchema } } },
      async () => ({ name: options.serverName, version: options.serverVersion, extensions: [] }),
    );

    for (const withVersion of [false, true]) {
      const prefix = withVersion ? '/v2/models/:name/versions/:version' : '/v2/models/:name';
      const params = withVersion ? versionParams : modelParams;
      scope.get(
        prefix,
        {
          schema: {
            tags: ['v2'],
            summary: 'Model metadata: inputs (one per signature column) and outputs',
            params,
            response: { 200: v2ModelMetadataSchema, 404: v2ErrorSchema },
          },
        },
        async (request) => {
          const { name, version } = request.params as { name: string; version?: string };
          checkModel(name, version);
          return metadata;
        },
      );
      scope.get(
        `${prefix}/ready`,
        {
          schema: {
            tags: ['v2'],
            summary: 'Model readiness',
            params,
            response: {
              200: z.object({ name: z.string(), ready: z.boolean() }),
              503: z.object({ name: z.string(), ready: z.boolean() }),
              404: v2ErrorSchema,
            },
          },
        },
        async (request, reply) => {
          const { name, version } = request.params as { name: string; version?: string };
          checkModel(name, version);
          const ready = options.isReady();
          return reply.code(ready ? 200 : 503).send({ name, ready });
        },
      );
      scope.post(
        `${prefix}/infer`,
        {
          bodyLimit: options.maxBodyBytes,
          // An unknown model is 404 whatever the body holds, so the name is checked before the body is validated.
          preValidation: (request, _reply, done) => {
            const { name, version } = request.params as { name: string; version?: string };
            checkModel(name, version);
            done();
          },
          schema: {
            tags: ['v2'],
            summary: 'Score rows (Open Inference Protocol)',
            description:
              'One input per model column, each with shape `[N]` (or `[N, 1]`) and `N` values; `null` is a missing ' +
              'value. The answer holds every output (or those named in `outputs`) with its shape and data.',
            params,
            body: options.example ? v2InferRequestSchema.meta({ example: options.example }) : v2InferRequestSchema,
            response: { 200: v2InferResponseSchema, 400: v2ErrorSchema, 404: v2ErrorSchema, 504: v2ErrorSchema },
          },
        },
        async (request, reply) => {
          const body = request.body as z.infer<typeof v2InferRequestSchema>;
          const requested = body.outputs?.map((output) => output.name);
          const unknown = requested?.filter((output) => !service.outputs.some((known) => known.name === output));
          if (unknown && unknown.length > 0) {
            throw new RequestFormatError(`Unknown outputs requested: ${unknown.join(', ')}.`);
          }
          const batch = decodeV2Request(body, service.inputs);
          request.logFields = { rows: batch.rows };
          const result = await service.predict(batch, { requestId: request.id, protocol: 'v2' });
          return reply
            .header(MODEL_VERSION_HEADER, result.model.version)
            .type('application/json')
            .send(v2InferResponseJson(result, body.id ?? request.id, requested));
        },
      );
    }
  });
}

function answerV2Error(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = (status: number, message: string) => {
    const level = status === 500 ? 'error' : status > 500 ? 'warn' : 'info';
    request.log[level]({ err: status === 500 ? error : undefined, detail: message }, 'v2 request failed');
    return reply
      .code(status)
      .type('application/json')
      .send(JSON.stringify({ error: message }));
  };
  if (error instanceof UnknownModelError) return answer(404, error.message);
  if (error instanceof RequestFormatError || error instanceof SchemaError) return answer(400, error.message);
  if (error instanceof PredictionTimeoutError) return answer(504, error.message);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const problems = error.validation
      .slice(0, 5)
      .map((issue) => `${issue.instancePath || '(body)'}: ${issue.message}`)
      .join('; ');
    return answer(400, `Invalid inference request: ${problems}.`);
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return answer(status, error.message);
  return answer(500, 'Internal Server Error');
}
