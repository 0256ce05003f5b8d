import { z } from 'zod';

/**
 * Zod schemas of The Met Collection API's wire format (views of someone else's JSON, named as the API names
 * them). Objects are not strict: the Met adds fields over time, and fields we do not read are dropped, never an error.
 * Text fields the Met usually sends as "" are also accepted as null or absent and normalised to "".
 */
const text = z
  .string()
  .nullish()
  .transform((value) => value ?? '');

/**
 * `GET /public/collection/v1/objects/{objectID}`: the fields of the record this service reads. The Met sends
 * about 55 more (constituents, tags, measurements, geography...); they are not validated and are dropped. That is
 * deliberate: parsing only what we consume keeps a record's shape changes elsewhere from breaking us, and it is
 * measurably cheaper on the hot path (about 35 µs per request with all 57 fields declared, in `bench:search`).
 */
export const metObjectSchema = z.object({
  objectID: z.number().int(),
  title: text,
  artistDisplayName: text,
  department: text,
  objectDate: text,
  isPublicDomain: z.boolean().nullish(),
  /** "" when the object has no open-access image, even in `hasImages=true` search results. */
  primaryImage: text,
  primaryImageSmall: text,
  additionalImages: z
    .array(z.string())
    .nullish()
    .transform((value) => value ?? []),
  objectURL: text,
});

/** `GET /public/collection/v1/search`: `objectIDs` is null, not [], when nothing matches. */
export const metSearchResponseSchema = z.object({
  total: z.number().int().nonnegative(),
  objectIDs: z
    .array(z.number().int())
    .nullable()
    .transform((value) => value ?? []),
});

/** `GET /public/collection/v1/objects`. */
export const metObjectsResponseSchema = z.object({
  total: z.number().int().nonnegative(),
  objectIDs: z
    .array(z.number().int())
    .nullable()
    .transform((value) => value ?? []),
});

/** `GET /public/collection/v1/departments`. */
export const metDepartmentsResponseSchema = z.object({
  departments: z.array(z.object({ departmentId: z.number().int(), displayName: z.string() })),
});

export type MetObject = z.infer<typeof metObjectSchema>;
export type MetSearchResponse = z.infer<typeof metSearchResponseSchema>;
export type MetObjectsResponse = z.infer<typeof metObjectsResponseSchema>;
export type MetDepartmentsResponse = z.infer<typeof metDepartmentsResponseSchema>;
