import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConfigError,
  loadConfig,
  UpstreamClient,
  type UpstreamConfig,
  UpstreamTimeoutError,
  upstreamConfigSchema,
  upstreamErrorResponses,
} from '@mlms/service-kit';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp } from './support/test-app.js';

const block: UpstreamConfig = {
  url: 'http://model.test/serving',
  connectTimeoutMs: 500,
  timeoutMs: 2500,
  maxResponseBytes: 1_048_576,
  retries: 1,
  retryBaseDelayMs: 100,
  maxConnections: 8,
};

/** A service's schema with one upstream block, as services nest it. */
const serviceSchema = z.strictObject({ model: upstreamConfigSchema });

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), 'service-kit-upstream-'));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** Loads a `local` section holding `model` as its `model` block, expecting a ConfigError, and returns its message. */
function configErrorOf(model: Record<string, unknown>, schema: z.ZodType = serviceSchema): string {
  const file = join(directory, 'config.yaml');
  writeFileSync(file, `local:\n  model: ${JSON.stringify(model)}\n`);
  try {
    loadConfig({ file, schema, env: 'local', variables: {} });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  return expect.fail('expected the configuration to be refused');
}

describe('upstreamConfigSchema', () => {
  it('accepts a complete block as it is', () => {
    // When
    const parsed = upstreamConfigSchema.parse(block);

    // Then
    expect(parsed).toEqual(block);
  });

  it('describes every key, for the generated configuration docs', () => {
    // When
    const undescribed = Object.entries(upstreamConfigSchema.shape)
      .filter(([, schema]) => !schema.description)
      .map(([key]) => key);

    // Then
    expect(undescribed).toEqual([]);
  });

  it.each([
    ['a URL that is not http(s)', { url: 'ftp://model.test' }, /- model\.url: .*\(got "ftp:\/\/model\.test"\)/],
    ['a text that is not a URL', { url: 'model server' }, /- model\.url: /],
    ['a negative timeout', { timeoutMs: -1 }, /- model\.timeoutMs: Too small: .*\(got -1\)/],
    ['a fractional connect timeout', { connectTimeoutMs: 1.5 }, /- model\.connectTimeoutMs: .*\(got 1\.5\)/],
    ['more than 3 retries', { retries: 4 }, /- model\.retries: Too big: .*\(got 4\)/],
    ['no connections', { maxConnections: 0 }, /- model\.maxConnections: Too small: .*\(got 0\)/],
    ['a timeout given as text', { retryBaseDelayMs: 'soon' }, /- model\.retryBaseDelayMs: .*expected number/],
    ['an unknown key', { baseUrl: 'http://model.test' }, /- unknown key "baseUrl" in model/],
  ])('refuses %s, naming the key path', (_case, change, message) => {
    // When
    const error = configErrorOf({ ...block, ...change });

    // Then
    expect(error).toMatch(message);
  });

  it('refuses a block with a key missing, naming it', () => {
    // Given
    const { timeoutMs: _left, ...withoutTimeout } = block;

    // When
    const error = configErrorOf(withoutTimeout);

    // Then
    expect(error).toMatch(/- model\.timeoutMs: Invalid input: expected number, received undefined/);
  });

  it('stays strict when a service extends it with keys of its own', () => {
    // Given
    const extended = z.strictObject({ model: upstreamConfigSchema.extend({ modelName: z.string().min(1) }) });

    // When
    const error = configErrorOf({ ...block, modelName: 'housing', typo: 1 }, extended);

    // Then
    expect(error).toMatch(/- unknown key "typo" in model/);
  });

  it('is spread into a client whose requests go below the URL, with the timeout it names', async () => {
    // Given
    const agent = new MockAgent();
    agent.disableNetConnect();
    const client = new UpstreamClient({
      name: 'Model server',
      ...upstreamConfigSchema.parse({ ...block, timeoutMs: 50 }),
      userAgent: 'service-kit-tests',
      dispatcher: agent,
    });
    agent
      .get('http://model.test')
      .intercept({ path: '/serving/ping', method: 'GET' })
      .reply(200, {}, { headers: { 'content-type': 'application/json' } })
      .delay(5_000);

    // When
    const error = await client.getJson('ping', { endpoint: 'ping', schema: z.unknown() }).catch((caught) => caught);
    await agent.close();

    // Then
    expect(error).toBeInstanceOf(UpstreamTimeoutError);
    expect(error).toMatchObject({ message: 'Model server did not answer within 50 ms.' });
  });
});

describe('upstreamErrorResponses', () => {
  /** The OpenAPI responses of one route documented with the helper. */
  async function documentedResponses(responses: ReturnType<typeof upstreamErrorResponses>) {
    const app = await createTestApp();
    app.get('/score', { schema: { response: { 200: z.object({ ok: z.boolean() }), ...responses } } }, async () => ({
      ok: true,
    }));
    const document = (await app.inject({ method: 'GET', url: '/openapi.json' })).json();
    await app.close();
    return document.paths['/score'].get.responses;
  }

  it('documents 502 and 504 with examples naming the upstream, the 504 one quoting the configured timeout', async () => {
    // When
    const responses = await documentedResponses(upstreamErrorResponses('Model server', { timeoutMs: 2500 }));

    // Then
    const example = (status: string) => responses[status].content['application/json'].schema.example;
    expect(Object.keys(responses).sort()).toEqual(['200', '502', '504']);
    expect(example('502')).toEqual({ detail: 'Model server answered HTTP 503.' });
    expect(example('504')).toEqual({ detail: 'Model server did not answer within 2500 ms.' });
    expect(responses['502'].description).toBe(
      'Model server failed: an error status, a broken answer, or a dropped or refused connection.',
    );
    expect(responses['504'].description).toBe('Model server did not answer in time.');
  });

  it('quotes exactly the message an UpstreamTimeoutError of that timeout carries', () => {
    // When
    const documented = upstreamErrorResponses('Met', { timeoutMs: 400 })[504].meta()?.example;

    // Then
    expect(documented).toEqual({ detail: new UpstreamTimeoutError('Met', 400).message });
  });

  it('takes descriptions of its own for either status', async () => {
    // When
    const responses = await documentedResponses(
      upstreamErrorResponses('Met', block, { 502: 'The Met failed, or its bot wall refused us.' }),
    );

    // Then
    expect(responses['502'].description).toBe('The Met failed, or its bot wall refused us.');
    expect(responses['504'].description).toBe('Met did not answer in time.');
  });
});
