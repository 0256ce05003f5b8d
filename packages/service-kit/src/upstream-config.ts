import { z } from 'zod';
import { errorResponse } from './error-handler.js';
import { upstreamTimeoutMessage } from './errors.js';

const milliseconds = (description: string) => z.number().int().min(0).describe(`${description} (milliseconds).`);

/**
 * The configuration block of one upstream a service calls. Its keys are `UpstreamClient` options, so a loaded
 * block is spread into the client's constructor; a service with settings of its own for an upstream extends it
 * (`upstreamConfigSchema.extend({ … })`, which stays strict).
 */
export const upstreamConfigSchema = z.strictObject({
  url: z
    .url({ protocol: /^https?$/ })
    .describe('Base URL of the upstream: http(s) origin plus an optional base path every request path is joined to.'),
  connectTimeoutMs: milliseconds('Connect timeout'),
  timeoutMs: milliseconds('Total timeout of one attempt, from sending the request to the last byte of the answer'),
  retries: z
    .number()
    .int()
    .min(0)
    .max(3)
    .describe('Extra attempts of a GET (or idempotent POST) after a 5xx answer or a dropped connection.'),
  retryBaseDelayMs: milliseconds('First retry back-off, doubled per retry, ±50 % jitter'),
  maxConnections: z.number().int().min(1).max(256).describe('Keep-alive connections to the upstream.'),
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .describe('Largest answer body read from the upstream (bytes); a larger one is refused with a 502.'),
});

export type UpstreamConfig = z.infer<typeof upstreamConfigSchema>;

export interface UpstreamErrorDescriptions {
  502?: string | undefined;
  504?: string | undefined;
}

/**
 * The documented 502 and 504 answers of a route that calls an upstream, to spread into its `response` schemas.
 * The 504 example quotes the configured timeout, so the docs say what the service really answers.
 *
 * @param upstream the client's name, as its errors spell it (e.g. `Met Collection API`).
 */
export function upstreamErrorResponses(
  upstream: string,
  config: Pick<UpstreamConfig, 'timeoutMs'>,
  descriptions: UpstreamErrorDescriptions = {},
) {
  return {
    502: errorResponse(
      descriptions[502] ?? `${upstream} failed: an error status, a broken answer, or a dropped or refused connection.`,
      `${upstream} answered HTTP 503.`,
    ),
    504: errorResponse(
      descriptions[504] ?? `${upstream} did not answer in time.`,
      upstreamTimeoutMessage(upstream, config.timeoutMs),
    ),
  };
}
