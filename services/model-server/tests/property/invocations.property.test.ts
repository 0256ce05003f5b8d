import type { ServiceApp } from '@mlms/service-kit';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stubApp } from '../support/stub-scoring.js';

const FORMATS = ['dataframe_split', 'dataframe_records', 'instances', 'inputs'] as const;
const COLUMNS = ['area', 'rooms', 'zone'] as const;

interface Row {
  area: number | null;
  rooms: number;
  zone: string | null;
}

/** Cells each column type accepts: numbers or null for the double, whole numbers for the long, text or null. */
const rowArbitrary: fc.Arbitrary<Row> = fc.record({
  area: fc.oneof(fc.double(), fc.integer(), fc.constant(null)),
  rooms: fc.oneof(fc.integer(), fc.maxSafeInteger(), fc.constantFrom(0, -1, 2 ** 53 - 1)),
  zone: fc.oneof(fc.string({ unit: 'binary' }), fc.constant(null)),
});

/** The body of every way MLflow's protocol can carry the rows. */
function encode(format: (typeof FORMATS)[number] | 'csv', rows: Row[]): { contentType: string; payload: string } {
  const json = (body: unknown) => ({ contentType: 'application/json', payload: JSON.stringify(body) });
  switch (format) {
    case 'dataframe_split':
      return json({ dataframe_split: { columns: COLUMNS, data: rows.map((row) => [row.area, row.rooms, row.zone]) } });
    case 'dataframe_records':
      return json({ dataframe_records: rows });
    case 'instances':
      return json({ instances: rows.map((row) => [row.area, row.rooms, row.zone]) });
    case 'inputs':
      return json({ inputs: Object.fromEntries(COLUMNS.map((name) => [name, rows.map((row) => row[name])])) });
    case 'csv': {
      const quote = (text: string) => `"${text.replaceAll('"', '""')}"`;
      const cell = (value: number | string | null) => (value === null ? '' : quote(String(value)));
      const lines = rows.map((row) => [row.area, row.rooms, row.zone].map(cell).join(','));
      return { contentType: 'text/csv', payload: `${COLUMNS.join(',')}\r\n${lines.join('\r\n')}\r\n` };
    }
  }
}

/** Any JSON value for a format key, and sometimes something that nearly fits. */
const formatValue = fc.oneof(
  fc.jsonValue(),
  fc.record({
    columns: fc.array(fc.constantFrom('area', 'rooms', 'zone', 'other', 'area')),
    data: fc.array(fc.array(fc.jsonValue(), { maxLength: 5 }), { maxLength: 5 }),
  }),
  fc.array(fc.dictionary(fc.constantFrom('area', 'rooms', 'zone', 'x'), fc.jsonValue()), { maxLength: 5 }),
  fc.array(fc.array(fc.jsonValue(), { minLength: 3, maxLength: 3 }), { maxLength: 5 }),
  fc.dictionary(fc.constantFrom('area', 'rooms', 'zone'), fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()))),
);

const CONTENT_TYPES = fc.oneof(
  fc.constantFrom('application/json', 'text/csv', 'APPLICATION/JSON; charset="utf-8"', 'text/plain', ''),
  fc
    .tuple(fc.constantFrom('application/json', 'text/csv'), fc.string({ unit: 'binary-ascii' }))
    .map(([type, rest]) => `${type};${rest}`),
  fc.string({ unit: 'binary-ascii' }),
);

describe('POST /invocations with arbitrary input', () => {
  let app: ServiceApp;
  beforeAll(async () => {
    ({ app } = await stubApp());
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (payload: string, contentType = 'application/json') =>
    app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': contentType }, payload });

  function expectNoServerError(statusCode: number, body: string): void {
    expect(statusCode === 200 || (statusCode >= 400 && statusCode < 500), `${statusCode}: ${body}`).toBe(true);
    if (statusCode !== 200) expect(Object.keys(JSON.parse(body))).toEqual(['error_code', 'message']);
  }

  it('never answers 5xx for any JSON value', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        const response = await post(JSON.stringify(value) ?? 'null');
        expectNoServerError(response.statusCode, response.body);
      }),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx for objects holding the format keys with arbitrary values', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            dataframe_split: formatValue,
            dataframe_records: formatValue,
            instances: formatValue,
            inputs: formatValue,
            params: fc.jsonValue(),
          },
          { requiredKeys: [] },
        ),
        async (body) => {
          const response = await post(JSON.stringify(body));
          expectNoServerError(response.statusCode, response.body);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never answers 5xx for arbitrary text as JSON or CSV', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.constantFrom('application/json', 'text/csv'),
        async (text, contentType) => {
          const response = await post(text, contentType);
          expectNoServerError(response.statusCode, response.body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answers 5xx for arbitrary content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        CONTENT_TYPES,
        fc.constantFrom('{"instances": [[1, 2, "a"]]}', 'area,rooms,zone\n1,2,a\n'),
        async (contentType, payload) => {
          const response = await post(payload, contentType);
          expectNoServerError(response.statusCode, response.body);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers 200 with one prediction per row for any valid rows, in every format', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArbitrary, { maxLength: 20 }),
        fc.constantFrom(...FORMATS, 'csv' as const),
        async (rows, format) => {
          const { contentType, payload } = encode(format, rows);
          const response = await post(payload, contentType);
          expect(response.statusCode, response.body).toBe(200);
          const { predictions } = response.json() as { predictions: (number | null)[] };
          expect(predictions).toHaveLength(rows.length);
          if (format !== 'csv') {
            // The stub model adds the columns; NaN and the infinities come back as null.
            const expected = rows.map((row) => {
              const value = (row.area ?? Number.NaN) + row.rooms + (row.zone ?? '').length;
              return Number.isFinite(value) ? value : null;
            });
            expect(predictions).toEqual(expected);
          } else {
            for (const prediction of predictions)
              expect(prediction === null || typeof prediction === 'number').toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
