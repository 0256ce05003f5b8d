import { withFastAcceptance } from '@mlms/service-kit';
import { z } from 'zod';
import { acceptsHouseAsIs, EXAMPLE_HOUSE, houseSchema } from './house-fields.js';

/** Our API's request and response shapes (the model server's are in `model-server.ts`). */

const houseIdSchema = z.union([z.string(), z.number()]).describe('The id the request gave the house.');

/** One house to price; its example is a real house from the Ames data. */
export const houseRequestSchema = withFastAcceptance(houseSchema.meta({ example: EXAMPLE_HOUSE }), acceptsHouseAsIs);

/** A batch of houses: 1 to `maxBatchSize`, ids unique within the batch. */
export function batchRequestSchema(maxBatchSize: number) {
  const schema = z
    .strictObject({
      houses: z
        .array(houseSchema)
        .min(1)
        .max(maxBatchSize)
        .describe(`1 to ${maxBatchSize} houses; each id at most once.`)
        .superRefine((houses, context) => {
          const seen = new Map<string, number>();
          houses.forEach((house, index) => {
            const key = `${typeof house.id}:${house.id}`;
            const first = seen.get(key);
            if (first === undefined) seen.set(key, index);
            else {
              context.addIssue({
                code: 'custom',
                path: [index, 'id'],
                message: `id ${JSON.stringify(house.id)} is used by houses ${first} and ${index}; ids must be unique in a batch`,
              });
            }
          });
        }),
    })
    .meta({ example: { houses: [EXAMPLE_HOUSE, { ...EXAMPLE_HOUSE, id: `${EXAMPLE_HOUSE.id}-b`, yearBuilt: 1975 }] } });
  return withFastAcceptance(schema, (value) => acceptsBatchAsIs(value, maxBatchSize));
}

/** Whether a batch schema accepts `value` unchanged: only `houses`, 1 to `maxBatchSize` of them, each accepted, ids unique. */
export function acceptsBatchAsIs(value: unknown, maxBatchSize: number): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  let houses: unknown;
  for (const key in value) {
    if (key !== 'houses') return false;
    houses = (value as { houses: unknown }).houses;
  }
  if (!Array.isArray(houses) || houses.length < 1 || houses.length > maxBatchSize) return false;
  const ids = new Set<unknown>();
  for (const house of houses) {
    if (!acceptsHouseAsIs(house)) return false;
    ids.add((house as { id: unknown }).id);
  }
  // A string id and a number id never collide (the schema keys them by type too), and a Set keeps '1' and 1 apart.
  return ids.size === houses.length;
}

export const pricePredictionSchema = z
  .object({
    id: houseIdSchema,
    predictedPrice: z.number().describe('Predicted sale price in US dollars.'),
    modelVersion: z.string().describe('Version of the model that made the prediction.'),
  })
  .meta({
    example: { id: EXAMPLE_HOUSE.id, predictedPrice: 197418.84, modelVersion: '84f2a7a1bf1b446c832bfcc028c18b74' },
  });

export const batchPredictionSchema = z
  .object({
    modelVersion: z.string().describe('Version of the model that made the predictions.'),
    predictions: z
      .array(z.object({ id: houseIdSchema, predictedPrice: z.number().describe('US dollars.') }))
      .describe('One prediction per house, in request order.'),
  })
  .meta({
    example: {
      modelVersion: '84f2a7a1bf1b446c832bfcc028c18b74',
      predictions: [
        { id: EXAMPLE_HOUSE.id, predictedPrice: 197418.84 },
        { id: `${EXAMPLE_HOUSE.id}-b`, predictedPrice: 160201.5 },
      ],
    },
  });
