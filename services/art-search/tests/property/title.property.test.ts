import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_TITLE_LENGTH } from '../../src/views/api.js';
import { type RunningStack, startStack } from '../support/stack.js';

/** Percent-encodes raw bytes, so any byte sequence (even invalid UTF-8) can be put in a query string. */
function percentEncode(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => `%${byte.toString(16).padStart(2, '0').toUpperCase()}`).join('');
}

describe('GET /api/search with arbitrary titles', () => {
  let stack: RunningStack;
  beforeAll(async () => {
    stack = await startStack({ cacheEnabled: true });
  });
  afterAll(async () => {
    await stack.close();
  });

  const statusFor = async (encodedTitle: string) =>
    (await stack.app.inject({ method: 'GET', url: `/api/search?title=${encodedTitle}` })).statusCode;

  it('never answers 5xx for any unicode title, control characters included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 300 }), async (title) => {
        const status = await statusFor(percentEncode(Buffer.from(title, 'utf8')));
        // The server sees the UTF-8 decoding of what was sent (a lone surrogate arrives as U+FFFD) and counts
        // code points.
        const length = [...Buffer.from(title, 'utf8').toString('utf8').trim()].length;
        // Valid titles get an answer; invalid ones a 422. Never anything else.
        if (length >= 1 && length <= MAX_TITLE_LENGTH) expect([200, 404]).toContain(status);
        else expect(status).toBe(422);
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx for arbitrary bytes, invalid UTF-8 included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
        expect([200, 404, 422, 400]).toContain(await statusFor(percentEncode(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it('answers 422 quickly for titles of 10 kB and more', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 10_000, maxLength: 12_000 }), async (title) => {
        const status = await statusFor(encodeURIComponent(title));
        expect(status === 422 || status === 414).toBe(true);
      }),
      { numRuns: 20 },
    );
  });

  it('answers real titles found in the sample collection', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('Socrates', 'Wheat Field', 'Madame Roulin', 'Work Table', 'Self-Portrait', 'cypresses'),
        fc.constantFrom(
          (s: string) => s,
          (s: string) => s.toUpperCase(),
          (s: string) => ` ${s.toLowerCase()} `,
        ),
        async (title, vary) => {
          expect(await statusFor(encodeURIComponent(vary(title)))).toBe(200);
        },
      ),
      { numRuns: 30 },
    );
  });
});
