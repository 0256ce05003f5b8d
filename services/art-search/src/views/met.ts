import { z } from 'zod';

/**
 * Zod schemas of The Met Collection API's wire format (views of someone else's JSON, named as the API names
 * them). Objects are not strict: the Met adds fields over time, and unknown ones are dropped, never an error.
 * Text fields the Met usually sends as "" are also accepted as null or absent and normalised to "".
 */
const text = z
  .string()
  .nullish()
  .transform((value) => value ?? '');

const optionalInteger = z.number().int().nullish();

export const metConstituentSchema = z.object({
  constituentID: z.number().int().nullish(),
  role: text,
  name: text,
  constituentULAN_URL: text,
  constituentWikidata_URL: text,
  gender: text,
});

export const metTagSchema = z.object({
  term: text,
  AAT_URL: z.string().nullish(),
  Wikidata_URL: z.string().nullish(),
});

/** `GET /public/collection/v1/objects/{objectID}`. */
export const metObjectSchema = z.object({
  objectID: z.number().int(),
  isHighlight: z.boolean().nullish(),
  accessionNumber: text,
  accessionYear: z.union([z.string(), z.number()]).nullish(),
  isPublicDomain: z.boolean().nullish(),
  primaryImage: text,
  primaryImageSmall: text,
  additionalImages: z
    .array(z.string())
    .nullish()
    .transform((value) => value ?? []),
  constituents: z.array(metConstituentSchema).nullish(),
  department: text,
  objectName: text,
  title: text,
  culture: text,
  period: text,
  dynasty: text,
  reign: text,
  portfolio: text,
  artistRole: text,
  artistPrefix: text,
  artistDisplayName: text,
  artistDisplayBio: text,
  artistSuffix: text,
  artistAlphaSort: text,
  artistNationality: text,
  artistBeginDate: text,
  artistEndDate: text,
  artistGender: text,
  artistWikidata_URL: text,
  artistULAN_URL: text,
  objectDate: text,
  objectBeginDate: optionalInteger,
  objectEndDate: optionalInteger,
  medium: text,
  dimensions: text,
  creditLine: text,
  geographyType: text,
  city: text,
  state: text,
  county: text,
  country: text,
  region: text,
  subregion: text,
  locale: text,
  locus: text,
  excavation: text,
  river: text,
  classification: text,
  rightsAndReproduction: text,
  linkResource: text,
  metadataDate: text,
  repository: text,
  objectURL: text,
  tags: z.array(metTagSchema).nullish(),
  objectWikidata_URL: text,
  isTimelineWork: z.boolean().nullish(),
  GalleryNumber: text,
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
