import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError, ServiceError } from './errors.js';

/**
 * Error bodies follow FastAPI's shape, so clients of the Python original keep working:
 * `{"detail": "message"}` for most errors, a list of `{loc, msg, type}` for invalid input.
 */
export const validationIssueSchema = z
  .object({
    loc: z.array(z.union([z.string(), z.number()])).describe('Where the problem is: location, then field path.'),
    msg: z.string().describe('What is wrong and what is allowed.'),
    type: z.string().describe('Machine-readable kind, e.g. `missing`, `string_too_long`, `int_parsing`.'),
  })
  .meta({ id: 'ValidationIssue' });

export const validationErrorSchema = z.object({ detail: z.array(validationIssueSchema) }).meta({
  id: 'ValidationError',
  example: { detail: [{ loc: ['body', 'name'], msg: 'Field required', type: 'missing' }] },
});

export const errorSchema = z
  .object({ detail: z.string().describe('What went wrong.') })
  .meta({ id: 'Error', example: { detail: 'Not Found' } });

export type ValidationIssue = z.infer<typeof validationIssueSchema>;

/**
 * An error response for one route and status, with its own example, so the docs show e.g. the 504 message under
 * 504 rather than one shared example under every status.
 */
export function errorResponse(description: string, exampleDetail: string) {
  return z
    .object({ detail: z.string().describe('What went wrong.') })
    .describe(description)
    .meta({ example: { detail: exampleDetail } });
}

/**
 * A 422 response for one route, with an example of what that route refuses (e.g. its own missing query
 * parameter) instead of the generic one of `validationErrorSchema`.
 */
export function validationErrorResponse(
  description: string,
  ...exampleIssues: [ValidationIssue, ...ValidationIssue[]]
) {
  return z
    .object({ detail: z.array(validationIssueSchema) })
    .describe(description)
    .meta({ example: { detail: exampleIssues } });
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const LOCATION_BY_CONTEXT: Record<string, string> = {
  querystring: 'query',
  params: 'path',
  body: 'body',
  headers: 'header',
};

/** Turns every error into a status and a body; messages of 5xx errors we did not anticipate are never exposed. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((error: FastifyError, request, reply) => handleError(error, request, reply));
    app.setNotFoundHandler((request, reply) => {
      // As FastAPI does: a path that exists under other methods is 405 with an Allow header, not 404.
      const path = request.url.split('?', 1)[0] ?? '/';
      const allowed = HTTP_METHODS.filter(
        (method) => method !== request.method && app.findRoute({ method, url: path }) !== null,
      );
      if (allowed.length > 0) {
        request.log.info({ method: request.method, url: request.url, allowed }, 'method not allowed');
        return reply.code(405).header('allow', allowed.join(', ')).send({ detail: 'Method Not Allowed' });
      }
      request.log.info({ method: request.method, url: request.url }, 'no route');
      return reply.code(404).send({ detail: 'Not Found' });
    });
  },
  { name: 'service-kit-error-handler', fastify: '5.x' },
);

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const context = { method: request.method, url: request.url, query: request.query, params: request.params };

  if (hasZodFastifySchemaValidationErrors(error)) {
    const location = LOCATION_BY_CONTEXT[error.validationContext ?? ''] ?? error.validationContext ?? 'request';
    const input = requestInput(request, error.validationContext);
    const detail = error.validation.flatMap((issue) => toValidationIssues(location, issue, input));
    request.log.info({ ...context, detail }, 'invalid request');
    return reply.code(422).send({ detail });
  }
  if (error instanceof InvalidInputError) {
    const detail: ValidationIssue[] = [{ loc: [...error.location], msg: error.message, type: error.type }];
    request.log.info({ ...context, detail }, 'invalid request');
    return reply.code(422).send({ detail });
  }
  if (error instanceof ServiceError) {
    const level = error.statusCode >= 500 ? 'warn' : 'info';
    request.log[level]({ ...context, err: error, code: error.code }, error.message);
    return reply.code(error.statusCode).send({ detail: error.message });
  }
  if (isResponseSerializationError(error)) {
    request.log.error({ ...context, err: error, issues: error.cause.issues }, 'response does not match its schema');
    return reply.code(500).send({ detail: 'Internal Server Error' });
  }
  // Fastify's own client errors (malformed JSON body, unsupported media type, body too large) keep their 4xx.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    request.log.info({ ...context, err: error }, error.message);
    return reply.code(status).send({ detail: error.message });
  }
  request.log.error({ ...context, err: error }, 'unhandled error');
  return reply.code(500).send({ detail: 'Internal Server Error' });
}

/** Issue kinds zod reports for a required value that is absent (refinements on absent values stay as they are). */
const MISSING_KEYWORDS = new Set(['invalid_type', 'invalid_value', 'invalid_union']);

interface ZodValidationEntry {
  keyword: string;
  instancePath: string;
  message?: string | undefined;
  params: Record<string, unknown>;
}

/**
 * One entry per problem, as pydantic reports them: an object with two unknown keys is two `extra_forbidden`
 * entries, each located at its key (zod reports one issue listing the keys, located at the object).
 */
function toValidationIssues(location: string, issue: ZodValidationEntry, input: unknown): ValidationIssue[] {
  const keys = issue.params.keys;
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
    const base = toValidationIssue(location, issue, input).loc;
    return keys.map((key) => ({
      loc: [...base, String(key)],
      msg: 'Extra inputs are not permitted',
      type: 'extra_forbidden',
    }));
  }
  return [toValidationIssue(location, issue, input)];
}

function toValidationIssue(location: string, issue: ZodValidationEntry, input: unknown): ValidationIssue {
  const path = issue.instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  // Zod leaves the offending value out of its issues, so "missing" is decided by looking at the request itself:
  // `?limit=abc` is a wrong type, not a missing field, while an absent enum field is missing, not a bad option.
  const missing = MISSING_KEYWORDS.has(issue.keyword) && valueAt(input, path) === undefined;
  return {
    loc: [location, ...path],
    msg: missing ? 'Field required' : (issue.message ?? 'Invalid value'),
    type: missing ? 'missing' : validationType(issue),
  };
}

/** The raw request part that failed validation (validation failed, so Fastify has not replaced it). */
function requestInput(request: FastifyRequest, validationContext: string | undefined): unknown {
  switch (validationContext) {
    case 'querystring':
      return request.query;
    case 'params':
      return request.params;
    case 'body':
      return request.body;
    case 'headers':
      return request.headers;
    default:
      return undefined;
  }
}

function valueAt(input: unknown, path: readonly (string | number)[]): unknown {
  let current = input;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function validationType(issue: ZodValidationEntry): string {
  const origin = issue.params.origin;
  switch (issue.keyword) {
    case 'too_big':
      return origin === 'string' ? 'string_too_long' : 'less_than_equal';
    case 'too_small':
      return origin === 'string' ? 'string_too_short' : 'greater_than_equal';
    case 'invalid_type':
      return issue.params.expected === 'number' || issue.params.expected === 'int' ? 'int_parsing' : 'type_error';
    case 'invalid_value':
      return 'enum';
    default:
      return issue.keyword === 'custom' ? 'value_error' : issue.keyword;
  }
}
