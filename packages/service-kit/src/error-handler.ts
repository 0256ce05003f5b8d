import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError, ServiceError } from './errors.js';

/**
 * Error bodies follow FastAPI's shape, so clients of the Python original keep working: `{"detail": "message"}` for
 * most errors, and for invalid input the list pydantic v2 reports, each entry `{type, loc, msg, input, ctx?}` in
 * that key order. The two components carry FastAPI's names and its schema (`fastapi/openapi/utils.py`), so a
 * client generated from either document gets the same model names.
 */
export const validationIssueSchema = z
  .object({
    type: z.string().describe('Machine-readable kind, e.g. `missing`, `string_too_long`, `int_parsing`.'),
    loc: z.array(z.union([z.string(), z.int()])).describe('Where the problem is: location, then field path.'),
    msg: z.string().describe('What is wrong and what is allowed.'),
    input: z.unknown().optional().describe('The value that was refused (null when it is missing).'),
    ctx: z.record(z.string(), z.unknown()).optional().describe('The constraint, e.g. `{"max_length": 200}`.'),
  })
  .meta({ id: 'ValidationError', title: 'ValidationError' });

export const validationErrorSchema = z.object({ detail: z.array(validationIssueSchema).optional() }).meta({
  id: 'HTTPValidationError',
  title: 'HTTPValidationError',
  example: { detail: [{ type: 'missing', loc: ['body', 'name'], msg: 'Field required', input: null }] },
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
  return validationErrorSchema.describe(description).meta({ example: { detail: exampleIssues } });
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

const LOCATION_BY_CONTEXT: Record<string, string> = {
  querystring: 'query',
  params: 'path',
  body: 'body',
  headers: 'header',
};

interface KnownRoute {
  method: string;
  pattern: RegExp;
}

/** A Fastify path as a regular expression over a raw path: `:name` is one segment, `*` the rest. */
function routePattern(url: string): RegExp {
  const source = url
    .split(/(:[A-Za-z0-9_]+(?:\([^)]*\))?|\*)/)
    .map((part) => {
      if (part === '*') return '.*';
      if (part.startsWith(':')) return '[^/]+';
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${source}$`);
}

/** Turns every error into a status and a body; messages of 5xx errors we did not anticipate are never exposed. */
export const errorHandlerPlugin = fp(
  async (app: FastifyInstance) => {
    const routes: KnownRoute[] = [];
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) routes.push({ method, pattern: routePattern(route.url) });
    });
    const methodsAt = (path: string): Set<string> =>
      new Set(routes.filter((route) => route.pattern.test(path)).map((route) => route.method));

    app.setErrorHandler((error: FastifyError, request, reply) => handleError(error, request, reply));
    app.setNotFoundHandler((request, reply) => {
      const [path = '/', query] = splitUrl(request.url);
      const methods = methodsAt(path);
      // A route of this method matched and answered "not found" itself (e.g. a missing static file): 404.
      if (!methods.has(request.method)) {
        // As FastAPI does: a path that exists under other methods is 405 with an Allow header, not 404.
        const allowed = HTTP_METHODS.filter((method) => methods.has(method));
        if (allowed.length > 0) {
          request.log.info({ method: request.method, url: request.url, allowed }, 'method not allowed');
          return reply.code(405).header('allow', allowed.join(', ')).send({ detail: 'Method Not Allowed' });
        }
        // Starlette's `redirect_slashes`: a path that exists with or without a trailing slash is a 307 to it,
        // query kept, as an absolute URL built from the Host header.
        if (path !== '/') {
          const other = path.endsWith('/') ? path.slice(0, -1) : `${path}/`;
          if (methodsAt(other).size > 0) {
            const location = `${request.protocol}://${request.host}${other}${query === undefined ? '' : `?${query}`}`;
            request.log.info({ method: request.method, url: request.url, location }, 'redirect slashes');
            return reply.code(307).header('location', location).send();
          }
        }
      }
      request.log.info({ method: request.method, url: request.url }, 'no route');
      return reply.code(404).send({ detail: 'Not Found' });
    });
  },
  { name: 'service-kit-error-handler', fastify: '5.x' },
);

function splitUrl(url: string): [string, string | undefined] {
  const index = url.indexOf('?');
  return index === -1 ? [url, undefined] : [url.slice(0, index), url.slice(index + 1)];
}

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const context = { method: request.method, url: request.url, query: request.query, params: request.params };

  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = error.validationContext;
    const location = LOCATION_BY_CONTEXT[part ?? ''] ?? part ?? 'request';
    const input = requestInput(request, part);
    const schema = (request.routeOptions.schema as Record<string, unknown> | undefined)?.[part ?? ''];
    const detail = error.validation.flatMap((issue) => toValidationIssues(location, issue, input, schema));
    request.log.info({ ...context, detail }, 'invalid request');
    return reply.code(422).send({ detail });
  }
  if (error instanceof InvalidInputError) {
    const detail: ValidationIssue[] = [
      error.type === 'value_error'
        ? {
            type: 'value_error',
            loc: [...error.location],
            msg: `Value error, ${error.message}`,
            input: error.input,
            ctx: { error: {} },
          }
        : { type: error.type, loc: [...error.location], msg: error.message, input: error.input },
    ];
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
  if (error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    // FastAPI reads an empty body as no body: a route that needs one says it is missing.
    const detail: ValidationIssue[] = [{ type: 'missing', loc: ['body'], msg: 'Field required', input: null }];
    request.log.info({ ...context, detail }, 'invalid request');
    return reply.code(422).send({ detail });
  }
  const rawBody = (error as { rawBody?: unknown }).rawBody;
  if (error instanceof SyntaxError && typeof rawBody === 'string') {
    // FastAPI answers a body that is not JSON with a 422 `json_invalid` entry located at the offending character.
    let issue: ValidationIssue;
    try {
      issue = jsonInvalidIssue(rawBody);
    } catch (scanError) {
      // Nested too deep for the rescan's stack ("[" × 5000): Python's json raises RecursionError there, which FastAPI
      // answers with this 400 rather than the 422.
      if (!(scanError instanceof RangeError)) throw scanError;
      request.log.info({ ...context, err: error }, 'malformed JSON body nested too deep to locate the error');
      return reply.code(400).send({ detail: 'There was an error parsing the body' });
    }
    const detail = [issue];
    request.log.info({ ...context, err: error, detail }, 'malformed JSON body');
    return reply.code(422).send({ detail });
  }
  // Fastify's own client errors (unsupported media type, body too large) keep their 4xx, with the reason phrase
  // as the detail, as Starlette's HTTPException does: never the message, which may echo the request.
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    request.log.info({ ...context, err: error }, error.message);
    return reply.code(status).send({ detail: STATUS_CODES[status] ?? 'Bad Request' });
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
 * pydantic-core's messages for the kinds that have no context (`src/errors/types.rs`, pydantic-core 2.33 /
 * pydantic 2.11). A custom zod issue may name one of these kinds in `params.type` to report as pydantic does.
 */
const MESSAGES: Record<string, string> = {
  missing: 'Field required',
  extra_forbidden: 'Extra inputs are not permitted',
  int_parsing: 'Input should be a valid integer, unable to parse string as an integer',
  int_type: 'Input should be a valid integer',
  int_from_float: 'Input should be a valid integer, got a number with a fractional part',
  float_parsing: 'Input should be a valid number, unable to parse string as a number',
  float_type: 'Input should be a valid number',
  string_type: 'Input should be a valid string',
  bool_parsing: 'Input should be a valid boolean, unable to interpret input',
  bool_type: 'Input should be a valid boolean',
  list_type: 'Input should be a valid list',
  dict_type: 'Input should be a valid dictionary',
  model_attributes_type: 'Input should be a valid dictionary or object to extract fields from',
};

/**
 * One entry per problem, as pydantic reports them: an object with two unknown keys is two `extra_forbidden`
 * entries, each located at its key (zod reports one issue listing the keys, located at the object).
 */
function toValidationIssues(
  location: string,
  issue: ZodValidationEntry,
  input: unknown,
  schema: unknown,
): ValidationIssue[] {
  const path = issue.instancePath
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => (/^\d+$/.test(segment) ? Number(segment) : segment));
  const loc = [location, ...path];
  const keys = issue.params.keys;
  if (issue.keyword === 'unrecognized_keys' && Array.isArray(keys)) {
    return keys.map((key) => ({
      type: 'extra_forbidden',
      loc: [...loc, String(key)],
      msg: MESSAGES.extra_forbidden as string,
      input: valueAt(input, [...path, String(key)]) ?? null,
    }));
  }
  const value = valueAt(input, path);
  // Zod leaves the offending value out of its issues, so "missing" is decided by looking at the request itself:
  // `?limit=abc` is a wrong type, not a missing field, while an absent enum field is missing, not a bad option.
  if (MISSING_KEYWORDS.has(issue.keyword) && value === undefined) {
    // pydantic gives the object a body field is missing from; FastAPI gives null for a parameter or a whole body.
    const parent = location === 'body' && path.length > 0 ? valueAt(input, path.slice(0, -1)) : null;
    return [{ type: 'missing', loc, msg: 'Field required', input: parent ?? null }];
  }
  // In a JSON body a string is never taken for a number or a boolean (pydantic's strict mode; its lax mode would
  // accept "1500"), so a string that would parse is reported with strict mode's `*_type` kind, not `*_parsing`.
  const strictText =
    location === 'body' &&
    typeof value === 'string' &&
    /^\s*(?:[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?|true|false)\s*$/i.test(value);
  return [{ ...describeIssue(issue, value, leafSchema(schema, path), strictText), input: value ?? null }].map(
    ({ type, msg, ctx, input: refused }) =>
      ctx === undefined ? { type, loc, msg, input: refused } : { type, loc, msg, input: refused, ctx },
  );
}

interface IssueKind {
  type: string;
  msg: string;
  ctx?: Record<string, unknown>;
}

function plural(count: unknown, word: string): string {
  return `${word}${count === 1 ? '' : 's'}`;
}

/** pydantic's kind, message and context for one zod issue (pydantic-core `src/errors/types.rs`). */
function describeIssue(issue: ZodValidationEntry, value: unknown, leaf: LeafKind, strictText: boolean): IssueKind {
  const { params } = issue;
  const origin = params.origin;
  switch (issue.keyword) {
    case 'too_big': {
      const max = params.maximum;
      if (origin === 'string') {
        return {
          type: 'string_too_long',
          msg: `String should have at most ${max} ${plural(max, 'character')}`,
          ctx: { max_length: max },
        };
      }
      if (origin === 'array' || origin === 'set') {
        const actual = Array.isArray(value) ? value.length : undefined;
        return {
          type: 'too_long',
          msg: `List should have at most ${max} ${plural(max, 'item')} after validation, not ${actual}`,
          ctx: { field_type: 'List', max_length: max, actual_length: actual },
        };
      }
      return params.inclusive === false
        ? { type: 'less_than', msg: `Input should be less than ${max}`, ctx: { lt: max } }
        : { type: 'less_than_equal', msg: `Input should be less than or equal to ${max}`, ctx: { le: max } };
    }
    case 'too_small': {
      const min = params.minimum;
      if (origin === 'string') {
        return {
          type: 'string_too_short',
          msg: `String should have at least ${min} ${plural(min, 'character')}`,
          ctx: { min_length: min },
        };
      }
      if (origin === 'array' || origin === 'set') {
        const actual = Array.isArray(value) ? value.length : undefined;
        return {
          type: 'too_short',
          msg: `List should have at least ${min} ${plural(min, 'item')} after validation, not ${actual}`,
          ctx: { field_type: 'List', min_length: min, actual_length: actual },
        };
      }
      return params.inclusive === false
        ? { type: 'greater_than', msg: `Input should be greater than ${min}`, ctx: { gt: min } }
        : { type: 'greater_than_equal', msg: `Input should be greater than or equal to ${min}`, ctx: { ge: min } };
    }
    case 'invalid_value': {
      if (params.expected === 'stringbool') return typeError('boolean', value);
      const values = Array.isArray(params.values) ? params.values : [];
      const expected = pythonAlternatives(values);
      return { type: 'enum', msg: `Input should be ${expected}`, ctx: { expected } };
    }
    case 'invalid_format':
      if (params.format === 'regex' && typeof params.pattern === 'string') {
        const pattern = params.pattern.replace(/^\/(.*)\/[a-z]*$/s, '$1');
        return { type: 'string_pattern_mismatch', msg: `String should match pattern '${pattern}'`, ctx: { pattern } };
      }
      return valueError(issue.message);
    case 'invalid_type':
      return typeError(params.expected === 'int' ? 'int' : leaf, value, strictText);
    case 'custom': {
      const named = (params.params as Record<string, unknown> | undefined)?.type;
      if (typeof named === 'string' && MESSAGES[named]) return { type: named, msg: MESSAGES[named] };
      return valueError(issue.message);
    }
    default:
      return valueError(issue.message);
  }
}

/** How pydantic reports a validator's `ValueError` (FastAPI encodes the exception in `ctx` as `{}`). */
function valueError(message: string | undefined): IssueKind {
  return { type: 'value_error', msg: `Value error, ${message ?? 'Invalid value'}`, ctx: { error: {} } };
}

/** A wrong type, by what the field expects: strings from a query or path are "parsing" errors in pydantic. */
function typeError(expected: LeafKind, value: unknown, strictText = false): IssueKind {
  const text = typeof value === 'string' && !strictText;
  const kind = (() => {
    switch (expected) {
      case 'int':
        if (typeof value === 'number') return 'int_from_float';
        return text ? 'int_parsing' : 'int_type';
      case 'number':
        return text ? 'float_parsing' : 'float_type';
      case 'boolean':
        return text ? 'bool_parsing' : 'bool_type';
      case 'array':
        return 'list_type';
      case 'object':
        return 'model_attributes_type';
      default:
        return 'string_type';
    }
  })();
  return { type: kind, msg: MESSAGES[kind] as string };
}

/** `'a', 'b' or 'c'` as pydantic lists the allowed values (Python reprs). */
function pythonAlternatives(values: readonly unknown[]): string {
  const reprs = values.map((value) => (typeof value === 'string' ? `'${value}'` : String(value)));
  if (reprs.length <= 1) return reprs.join('');
  return `${reprs.slice(0, -1).join(', ')} or ${reprs.at(-1)}`;
}

type LeafKind = 'int' | 'number' | 'boolean' | 'string' | 'array' | 'object' | 'other';

interface ZodInternals {
  _zod?: { def?: Record<string, unknown> };
  shape?: Record<string, unknown>;
}

/** What the route's schema expects at a path: `int` for `z.int()`/`.int()`, else zod's type, through wrappers. */
function leafSchema(schema: unknown, path: readonly (string | number)[]): LeafKind {
  let current = schema as ZodInternals | undefined;
  const unwrap = (): void => {
    for (let depth = 0; depth < 10 && current?._zod?.def; depth++) {
      const def = current._zod.def;
      const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
      if (!inner) return;
      current = inner as ZodInternals;
    }
  };
  for (const segment of path) {
    unwrap();
    const def = current?._zod?.def;
    if (def?.type === 'object') current = (def.shape as Record<string, ZodInternals>)[String(segment)];
    else if (def?.type === 'array') current = def.element as ZodInternals;
    else if (def?.type === 'record') current = def.valueType as ZodInternals;
    else return 'other';
  }
  unwrap();
  const def = current?._zod?.def;
  switch (def?.type) {
    case 'number': {
      const checks = Array.isArray(def.checks) ? (def.checks as ZodInternals[]) : [];
      const formats = [def.format, ...checks.map((check) => check._zod?.def?.format)];
      return formats.some((format) => typeof format === 'string' && /int/.test(format)) ? 'int' : 'number';
    }
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'array':
      return 'array';
    case 'object':
    case 'record':
      return 'object';
    default:
      return 'other';
  }
}

/**
 * FastAPI's entry for a body that is not JSON (`fastapi/routing.py`): located at the character where Python's
 * `json` stopped, with its message in `ctx`.
 */
function jsonInvalidIssue(body: string): ValidationIssue {
  const { position, reason } = pythonJsonError(body);
  return { type: 'json_invalid', loc: ['body', position], msg: 'JSON decode error', input: {}, ctx: { error: reason } };
}

class PythonJsonError extends Error {
  constructor(
    readonly reason: string,
    readonly position: number,
  ) {
    super(reason);
  }
}

/**
 * Where and why CPython 3.11's `json.loads` (`Lib/json/decoder.py` and its C scanner, `Modules/_json.c`) refuses a document: the same
 * recursive descent, run only after `JSON.parse` has refused it, to report what FastAPI reports.
 */
function pythonJsonError(text: string): { position: number; reason: string } {
  const skip = (index: number): number => {
    let at = index;
    while (at < text.length && ' \t\n\r'.includes(text[at] as string)) at++;
    return at;
  };
  const fail = (reason: string, position: number): never => {
    throw new PythonJsonError(reason, position);
  };
  const scanString = (begin: number): number => {
    let at = begin + 1;
    for (;;) {
      if (at >= text.length) return fail('Unterminated string starting at', begin);
      const char = text[at] as string;
      if (char === '"') return at + 1;
      if (char === '\\') {
        const escaped = text[at + 1];
        if (escaped === undefined) return fail('Unterminated string starting at', begin);
        if (escaped === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(at + 2, at + 6))) return fail('Invalid \\uXXXX escape', at + 1);
          at += 6;
        } else if ('"\\/bfnrt'.includes(escaped)) at += 2;
        else return fail('Invalid \\escape', at);
      } else if (char < ' ') {
        return fail('Invalid control character at', at);
      } else at++;
    }
  };
  const scanValue = (index: number): number => {
    const char = text[index];
    if (char === '"') return scanString(index);
    if (char === '{') return scanObject(index + 1);
    if (char === '[') return scanArray(index + 1);
    for (const word of ['null', 'true', 'false', 'NaN', 'Infinity', '-Infinity']) {
      if (text.startsWith(word, index)) return index + word.length;
    }
    const number = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/.exec(text.slice(index));
    if (number) return index + number[0].length;
    return fail('Expecting value', index);
  };
  const scanObject = (start: number): number => {
    let at = skip(start);
    if (text[at] === '}') return at + 1;
    if (text[at] !== '"') return fail('Expecting property name enclosed in double quotes', at);
    for (;;) {
      at = skip(scanString(at));
      if (text[at] !== ':') return fail("Expecting ':' delimiter", at);
      at = skip(scanValue(skip(at + 1)));
      if (text[at] === '}') return at + 1;
      if (text[at] !== ',') return fail("Expecting ',' delimiter", at);
      at = skip(at + 1);
      if (text[at] !== '"') return fail('Expecting property name enclosed in double quotes', at);
    }
  };
  const scanArray = (start: number): number => {
    let at = skip(start);
    if (text[at] === ']') return at + 1;
    for (;;) {
      at = skip(scanValue(at));
      if (text[at] === ']') return at + 1;
      if (text[at] !== ',') return fail("Expecting ',' delimiter", at);
      at = skip(at + 1);
    }
  };
  try {
    const end = skip(scanValue(skip(0)));
    if (end !== text.length) return { position: end, reason: 'Extra data' };
    // Valid for Python (e.g. NaN, which JSON.parse refuses): say where JavaScript stopped, at the start.
    return { position: 0, reason: 'Expecting value' };
  } catch (error) {
    if (error instanceof PythonJsonError) return { position: error.position, reason: error.reason };
    throw error;
  }
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
