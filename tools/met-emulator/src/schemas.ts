import { z } from 'zod';

/** One entry of an object's `constituents` array, as the Met spells it. */
export const constituentSchema = z.object({
  constituentID: z.number().int(),
  role: z.string(),
  name: z.string(),
  constituentULAN_URL: z.string(),
  constituentWikidata_URL: z.string(),
  gender: z.string(),
});

/** One entry of an object's `measurements` array. */
export const measurementSchema = z.object({
  elementName: z.string(),
  elementDescription: z.string().nullable(),
  elementMeasurements: z.record(z.string(), z.number()),
});

/** One entry of an object's `tags` array. */
export const tagSchema = z.object({
  term: z.string(),
  AAT_URL: z.string(),
  Wikidata_URL: z.string(),
});

/**
 * The Met's open-access object record (`GET /objects/{objectID}`), with its own casing
 * (`GalleryNumber`, `artistULAN_URL`, ...). Strict so that a typo in the bundled data fails loudly.
 */
export const metObjectRecordSchema = z.strictObject({
  objectID: z.number().int().positive(),
  isHighlight: z.boolean(),
  accessionNumber: z.string(),
  accessionYear: z.string(),
  isPublicDomain: z.boolean(),
  primaryImage: z.string(),
  primaryImageSmall: z.string(),
  additionalImages: z.array(z.string()),
  constituents: z.array(constituentSchema).nullable(),
  department: z.string(),
  objectName: z.string(),
  title: z.string(),
  culture: z.string(),
  period: z.string(),
  dynasty: z.string(),
  reign: z.string(),
  portfolio: z.string(),
  artistRole: z.string(),
  artistPrefix: z.string(),
  artistDisplayName: z.string(),
  artistDisplayBio: z.string(),
  artistSuffix: z.string(),
  artistAlphaSort: z.string(),
  artistNationality: z.string(),
  artistBeginDate: z.string(),
  artistEndDate: z.string(),
  artistGender: z.string(),
  artistWikidata_URL: z.string(),
  artistULAN_URL: z.string(),
  objectDate: z.string(),
  objectBeginDate: z.number().int(),
  objectEndDate: z.number().int(),
  medium: z.string(),
  dimensions: z.string(),
  measurements: z.array(measurementSchema).nullable(),
  creditLine: z.string(),
  geographyType: z.string(),
  city: z.string(),
  state: z.string(),
  county: z.string(),
  country: z.string(),
  region: z.string(),
  subregion: z.string(),
  locale: z.string(),
  locus: z.string(),
  excavation: z.string(),
  river: z.string(),
  classification: z.string(),
  rightsAndReproduction: z.string(),
  linkResource: z.string(),
  metadataDate: z.string(),
  repository: z.string(),
  objectURL: z.string(),
  tags: z.array(tagSchema).nullable(),
  objectWikidata_URL: z.string(),
  isTimelineWork: z.boolean(),
  GalleryNumber: z.string(),
});

/** A Met object record exactly as `GET /objects/{objectID}` returns it. */
export type MetObjectRecord = z.infer<typeof metObjectRecordSchema>;

/** One entry of `GET /departments`. */
export const departmentSchema = z.strictObject({
  departmentId: z.number().int().positive(),
  displayName: z.string().min(1),
});

/** A Met department as `GET /departments` lists it. */
export type MetDepartment = z.infer<typeof departmentSchema>;

/** The routes a fault can target; `*` applies to every Collection API route. */
export const faultRouteSchema = z.enum(['search', 'object', 'objects', 'departments', '*']);

/** The name of a Collection API route (or `*` for all of them) that a fault can target. */
export type FaultRoute = z.infer<typeof faultRouteSchema>;

/** The Collection API routes themselves (every fault route but the `*` wildcard). */
export type ApiRoute = Exclude<FaultRoute, '*'>;

/** Every concrete API route, in a fixed order (used for statistics). */
export const apiRoutes: readonly ApiRoute[] = ['search', 'object', 'objects', 'departments'];

const responseKinds = ['status', 'html403', 'malformedJson', 'reset'] as const;

/**
 * A fault to inject on a route. `latencyMs` delays the request and can be combined with at most one
 * response kind: `status`, `html403`, `malformedJson` or `reset`.
 */
export const faultSchema = z
  .strictObject({
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    status: z.number().int().min(400).max(599).optional(),
    html403: z.literal(true).optional(),
    malformedJson: z.literal(true).optional(),
    reset: z.literal(true).optional(),
    times: z.number().int().positive().optional(),
    probability: z.number().min(0).max(1).optional(),
  })
  .superRefine((fault, context) => {
    const kinds = responseKinds.filter((kind) => fault[kind] !== undefined);
    if (kinds.length > 1) {
      context.addIssue({
        code: 'custom',
        message: `a fault may set only one of status, html403, malformedJson, reset; got ${kinds.join(', ')}`,
      });
    }
    if (kinds.length === 0 && fault.latencyMs === undefined) {
      context.addIssue({
        code: 'custom',
        message: 'a fault must set latencyMs or one of status, html403, malformedJson, reset',
      });
    }
  });

/** A fault to inject on a route (see {@link faultSchema} for the rules). */
export type Fault = z.infer<typeof faultSchema>;

/** A map of faults per route, as accepted by the env var, the CLI and `createMetEmulator`. */
export const faultMapSchema = z.partialRecord(faultRouteSchema, faultSchema);

/** Faults keyed by route. */
export type FaultMap = Partial<Record<FaultRoute, Fault>>;

/** Formats a zod error as one line per problem, each naming the field (path) that is wrong. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
