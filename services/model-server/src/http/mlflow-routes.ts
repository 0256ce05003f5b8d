import type { ServiceApp } from '@mlms/service-kit';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { PredictionTimeoutError, type ScoringService } from '../service/scoring-service.js';
import { RequestFormatError, SchemaError } from '../views/columns.js';
import { decodeInvocationsCsv, decodeInvocationsJson } from '../views/mlflow-request.js';
import { predictionsJson } from '../views/mlflow-response.js';
import { invocationsBodySchema, mlflowErrorSchema, predictionsSchema } from '../views/mlflow-schemas.js';

export const MODEL_VERSION_HEADER = 'x-model-version';

/** The body is not JSON or CSV, or not UTF-8 (HTTP 415). */
class UnsupportedMediaTypeError extends Error {}

export interface MlflowRoutesOptions {
  service: ScoringService;
  /** The MLflow version `/version` reports (the one the model was saved with). */
  mlflowVersion: string;
  maxBodyBytes: number;
  /** A working request body for the docs. */
  example: Record<string, unknown> | null;
}

const CONTENT_TYPES = ['application/json', 'text/csv'];

/**
 * MLflow's scoring protocol, as `mlflow models serve` speaks it: `/ping`, `/health`, `/version` and
 * `/invocations`. Errors on these routes use MLflow's body, `{"error_code", "message"}`, not the kit's `detail`.
 */
export async function registerMlflowRoutes(app: ServiceApp, options: MlflowRoutesOptions): Promise<void> {
  const { service } = options;
  await app.register(async (scope) => {
    // Every body is read as text here and decoded by content type in the handler, so a missing or foreign content
    // type gets MLflow's 415 instead of Fastify's, and the JSON parser can accept Python's NaN tokens.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: options.maxBodyBytes }, (_request, body, done) =>
      done(null, body),
    );
    scope.setErrorHandler((error: FastifyError, request, reply) =>
      answerMlflowError(error, request, reply, options.maxBodyBytes),
    );

    for (const path of ['/ping', '/health']) {
      scope.get(
        path,
        {
          schema: {
            tags: ['mlflow'],
            summary: 'Health check of the MLflow scoring protocol',
            description: 'Answers 200 once the model is loaded (it is loaded before the port opens).',
            response: { 200: z.string() },
          },
        },
        async (_request, reply) => reply.type('application/json').send('\n'),
      );
    }

    scope.get(
      '/version',
      {
        schema: {
          tags: ['mlflow'],
          summary: 'MLflow version the model was saved with',
          response: { 200: z.string() },
        },
      },
      async (_request, reply) => reply.type('application/json').send(options.mlflowVersion),
    );

    scope.post(
      '/invocations',
      {
        schema: {
          tags: ['mlflow'],
          summary: 'Score rows (MLflow scoring protocol)',
          description:
            'Send `application/json` with exactly one of `dataframe_split`, `dataframe_records`, `instances` or ' +
            '`inputs` (plus optional `params`), or `text/csv` with a header row. Columns are checked against the ' +
            "model's signature: every signature column is required, extra columns are ignored, `null` is a missing " +
            'value in a `double` or `string` column. The answer lists one prediction per row, in row order.',
          body: invocationsBodySchema(options.example),
          response: {
            200: predictionsSchema,
            400: mlflowErrorSchema.describe(
              'Malformed body (`BAD_REQUEST`) or data that does not fit the signature (`INVALID_PARAMETER_VALUE`).',
            ),
            413: mlflowErrorSchema.describe(`Body larger than ${options.maxBodyBytes} bytes.`),
            415: mlflowErrorSchema.describe('Content type other than application/json or text/csv, or not UTF-8.'),
            504: mlflowErrorSchema.describe('The prediction did not finish within the time limit.'),
          },
        },
        bodyLimit: options.maxBodyBytes,
        // The body is decoded by the handler (columnar, without per-cell objects); the schema is for the docs.
        validatorCompiler: () => (value: unknown) => ({ value }),
      },
      async (request, reply) => {
        const contentType = request.headers['content-type'];
        const text = typeof request.body === 'string' ? request.body : '';
        const batch = decodeBody(contentType, text, service);
        request.logFields = { rows: batch.rows };
        const result = await service.predict(batch, { requestId: request.id, protocol: 'mlflow' });
        return reply
          .header(MODEL_VERSION_HEADER, result.model.version)
          .type('application/json')
          .send(predictionsJson(result.outputs));
      },
    );
  });
}

function decodeBody(contentType: string | undefined, text: string, service: ScoringService) {
  // The common case, without splitting the header.
  if (contentType === 'application/json') return decodeInvocationsJson(text, service.inputs);
  const [mimeType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim());
  const charset = parameters
    .map((parameter) => parameter.split('='))
    .find(([key]) => key?.toLowerCase() === 'charset')?.[1]
    ?.replace(/^"|"$/g, '');
  if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
    throw new UnsupportedMediaTypeError(`The scoring server only supports UTF-8; got charset '${charset}'.`);
  }
  switch (mimeType.toLowerCase()) {
    case 'application/json':
      return decodeInvocationsJson(text, service.inputs);
    case 'text/csv':
      return decodeInvocationsCsv(text, service.inputs);
    default:
      throw new UnsupportedMediaTypeError(
        `This predictor only supports the following content types: ${CONTENT_TYPES.join(', ')}; got ${
          contentType === undefined ? 'none' : `'${mimeType.slice(0, 100)}'`
        }.`,
      );
  }
}

/** MLflow's error body for every failure on these routes; a stack trace or the input is never sent. */
function answerMlflowError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  maxBodyBytes: number,
): FastifyReply {
  const answer = (status: number, errorCode: string, message: string) => {
    const level = status >= 500 ? (status === 500 ? 'error' : 'warn') : 'info';
    request.log[level]({ err: status === 500 ? error : undefined, errorCode, detail: message }, 'prediction failed');
    return reply
      .code(status)
      .type('application/json')
      .send(JSON.stringify({ error_code: errorCode, message }));
  };
  if (error instanceof RequestFormatError) return answer(400, 'BAD_REQUEST', error.message);
  if (error instanceof SchemaError) return answer(400, 'INVALID_PARAMETER_VALUE', error.message);
  if (error instanceof UnsupportedMediaTypeError) return answer(415, 'BAD_REQUEST', error.message);
  if (error instanceof PredictionTimeoutError) return answer(504, 'DEADLINE_EXCEEDED', error.message);
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return answer(
      413,
      'RESOURCE_LIMIT_EXCEEDED',
      `The request body is larger than the limit of ${maxBodyBytes} bytes.`,
    );
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return answer(status, 'BAD_REQUEST', error.message);
  return answer(500, 'INTERNAL_ERROR', 'Internal Server Error');
}
