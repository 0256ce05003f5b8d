import fc from 'fast-check';
import type { MockAgent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildOrchestrator, type OrchestratorApp } from '../../src/app.js';
import { acceptsBatchAsIs, batchRequestSchema } from '../../src/views/api.js';
import {
  acceptsHouseAsIs,
  HOUSE_FIELDS,
  type HouseFieldSpec,
  type HouseFieldValues,
  houseSchema,
  MODEL_COLUMNS,
  toModelRow,
} from '../../src/views/house-fields.js';
import { testConfig } from '../support/config.js';
import { json, mockModelServer, sentFrame } from '../support/mock-model-server.js';

const FIELDS: readonly HouseFieldSpec[] = HOUSE_FIELDS;
const NAMES = FIELDS.map((field) => field.name);
const MAX_BATCH_SIZE = 5;
const SINGLE = '/api/v1/price/predict';
const BATCH = '/api/v1/price/predict/batch';

let orchestrator: OrchestratorApp;
let agent: MockAgent;
/** The rows of the last `/invocations` call. */
let lastRows: unknown[][] = [];

beforeAll(async () => {
  const mock = mockModelServer();
  agent = mock.agent;
  mock.server
    .intercept({ path: '/invocations', method: 'POST' })
    .reply((options) => {
      const { data } = sentFrame(options.body);
      lastRows = data;
      return {
        statusCode: 200,
        data: { predictions: data.map((_row, index) => 150_000 + index) },
        responseOptions: json,
      };
    })
    .persist();
  orchestrator = await buildOrchestrator(testConfig({ maxBatchSize: MAX_BATCH_SIZE }), {
    modelServerDispatcher: agent,
  });
});

afterAll(async () => {
  await orchestrator?.app.close();
  await agent?.close();
});

async function post(url: string, body: unknown) {
  const response = await orchestrator.app.inject({
    method: 'POST',
    url,
    payload: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { status: response.statusCode, body: response.body };
}

/** Never a 5xx: 200 when the schema accepts the body, a 4xx with a `detail` otherwise. */
function expectAnswered(status: number, body: string, accepted: boolean) {
  expect(status, body).toBeLessThan(500);
  if (accepted) expect(status, body).toBe(200);
  else {
    expect(status, body).toBeGreaterThanOrEqual(400);
    expect(JSON.parse(body)).toHaveProperty('detail');
  }
}

/** A valid value of a field: a number within its bounds (an integer where required) or one of its levels. */
function validValue(field: HouseFieldSpec): fc.Arbitrary<number | string> {
  if (field.kind === 'category') return fc.constantFrom(...field.levels);
  if (field.integer) return fc.integer({ min: field.min, max: field.max });
  return fc.double({ min: field.min, max: field.max, noNaN: true, noDefaultInfinity: true });
}

const validId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 100 }),
  fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
);

/** A valid house: an id, and each field absent, null or a valid value. */
const validHouse = fc.record(
  {
    id: validId,
    ...Object.fromEntries(FIELDS.map((field) => [field.name, fc.option(validValue(field), { nil: null })])),
  },
  { requiredKeys: ['id'] },
) as fc.Arbitrary<{ id: string | number } & HouseFieldValues>;

/** Keys that are mostly house fields, sometimes `id` and sometimes anything. */
const someKey = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 2, arbitrary: fc.constant('id') },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);

/** A value that is sometimes valid for its field, often of the wrong type or out of range. */
const someValue = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.integer({ min: -2_000_000, max: 2_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(...FIELDS.flatMap((field) => (field.kind === 'category' ? field.levels : []))),
  fc.constant(null),
);

/** Objects that mix house field names with arbitrary values, a valid house underneath half of the time. */
const mixedHouse = fc.oneof(
  fc.dictionary(someKey, someValue, { maxKeys: 12 }),
  fc
    .tuple(validHouse, fc.dictionary(someKey, someValue, { maxKeys: 3 }))
    .map(([house, changes]) => ({ ...house, ...changes })),
);

/** The model row the model server should get for a house, as it travels in JSON. */
function expectedRow(house: HouseFieldValues): unknown[] {
  const row = toModelRow(house);
  return JSON.parse(JSON.stringify(MODEL_COLUMNS.map((column) => row[column])));
}

describe('POST /api/v1/price/predict with arbitrary bodies', () => {
  it('never answers 5xx for any JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (body) => {
        const { status, body: text } = await post(SINGLE, body);
        expectAnswered(status, text, houseSchema.safeParse(body).success);
      }),
      { numRuns: 300 },
    );
  });

  it('answers 200 exactly when the schema accepts an object of house fields and arbitrary values', async () => {
    await fc.assert(
      fc.asyncProperty(mixedHouse, async (body) => {
        const { status, body: text } = await post(SINGLE, body);
        expectAnswered(status, text, houseSchema.safeParse(body).success);
      }),
      { numRuns: 400 },
    );
  });

  it('prices any house built from valid values, sending its model row', async () => {
    await fc.assert(
      fc.asyncProperty(validHouse, async (house) => {
        const { status, body } = await post(SINGLE, house);
        expect(status, body).toBe(200);
        expect(JSON.parse(body)).toEqual({ id: house.id, predictedPrice: 150_000, modelVersion: 'unknown' });
        expect(lastRows).toEqual([expectedRow(house)]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('POST /api/v1/price/predict/batch with arbitrary bodies', () => {
  const schema = batchRequestSchema(MAX_BATCH_SIZE);

  it('never answers 5xx for any JSON body', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.jsonValue(), fc.record({ houses: fc.jsonValue() })), async (body) => {
        const { status, body: text } = await post(BATCH, body);
        expectAnswered(status, text, schema.safeParse(body).success);
      }),
      { numRuns: 300 },
    );
  });

  it('answers 200 exactly when the schema accepts a batch of mixed houses', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({ houses: fc.array(fc.oneof(mixedHouse, validHouse), { maxLength: MAX_BATCH_SIZE + 2 }) }),
        async (body) => {
          const { status, body: text } = await post(BATCH, body);
          expectAnswered(status, text, schema.safeParse(body).success);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('prices any batch of valid houses with unique ids, in request order', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(validHouse, {
          minLength: 1,
          maxLength: MAX_BATCH_SIZE,
          selector: (house) => `${typeof house.id}:${house.id}`,
        }),
        async (houses) => {
          const { status, body } = await post(BATCH, { houses });
          expect(status, body).toBe(200);
          const answer = JSON.parse(body) as { predictions: { id: unknown; predictedPrice: number }[] };
          expect(answer.predictions).toEqual(
            houses.map((house, index) => ({ id: house.id, predictedPrice: 150_000 + index })),
          );
          expect(lastRows).toEqual(houses.map(expectedRow));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses any batch that repeats an id, locating the repeat', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(validHouse, {
          minLength: 1,
          maxLength: MAX_BATCH_SIZE - 1,
          selector: (house) => `${typeof house.id}:${house.id}`,
        }),
        fc.nat(),
        fc.nat(),
        async (houses, from, to) => {
          // Given: one house's id given again to a copy inserted later in the batch
          const source = from % houses.length;
          const at = source + 1 + (to % (houses.length - source));
          const batch = [...houses.slice(0, at), { id: houses[source]?.id }, ...houses.slice(at)];

          // When
          const { status, body } = await post(BATCH, { houses: batch });

          // Then
          expect(status, body).toBe(422);
          expect(JSON.parse(body).detail).toContainEqual(
            expect.objectContaining({ loc: ['body', 'houses', at, 'id'], type: 'value_error' }),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('the quick checks that let valid bodies skip zod', () => {
  const batchSchema = batchRequestSchema(MAX_BATCH_SIZE);
  /** Ids at and around the bounds of the id schema. */
  const edgeId = fc.oneof(
    fc.string({ minLength: 98, maxLength: 102 }),
    fc.constantFrom('', 0, -1, 1, 1.5, 2 ** 53, 2 ** 53 - 1, null, true),
  );
  const houseWithEdgeId = fc.tuple(validHouse, edgeId).map(([house, id]) => ({ ...house, id }));
  const anyBatch = fc.record({ houses: fc.array(fc.oneof(mixedHouse, validHouse), { maxLength: MAX_BATCH_SIZE + 2 }) });

  /** What the quick check accepts, the schema accepts and returns unchanged. */
  function expectNeverLooserThan(schema: { safeParse(value: unknown): { success: boolean; data?: unknown } }) {
    return (value: unknown, accepted: boolean) => {
      if (!accepted) return;
      const parsed = schema.safeParse(value);
      expect(parsed.success, JSON.stringify(value)).toBe(true);
      expect(parsed.data).toEqual(value);
    };
  }

  it('accepts a house only when the house schema accepts it unchanged', () => {
    const check = expectNeverLooserThan(houseSchema);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), mixedHouse, validHouse, houseWithEdgeId), (value) =>
        check(value, acceptsHouseAsIs(value)),
      ),
      { numRuns: 2000 },
    );
  });

  it('accepts every house built from valid values (so valid requests take the quick path)', () => {
    fc.assert(
      fc.property(validHouse, (house) => acceptsHouseAsIs(house)),
      { numRuns: 500 },
    );
  });

  it('accepts a batch only when the batch schema accepts it unchanged', () => {
    const check = expectNeverLooserThan(batchSchema);
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), anyBatch), (value) => check(value, acceptsBatchAsIs(value, MAX_BATCH_SIZE))),
      { numRuns: 1000 },
    );
  });

  it('accepts every batch of valid houses with unique ids', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(validHouse, {
          minLength: 1,
          maxLength: MAX_BATCH_SIZE,
          selector: (house) => `${typeof house.id}:${house.id}`,
        }),
        (houses) => acceptsBatchAsIs({ houses }, MAX_BATCH_SIZE),
      ),
      { numRuns: 300 },
    );
  });
});
