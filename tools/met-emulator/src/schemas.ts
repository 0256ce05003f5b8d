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

const responseKinds = [
  'status',
  'html403',
  'malformedJson',
  'reset',
  'objectNotFound',
  'notValidObject',
  'noImage',
  'phantomIds',
  'reorder',
] as const;

/**
 * A fault to inject on a route. `latencyMs` delays the request and can be combined with at most one kind:
 * - `status`: that HTTP status with `{"message": "Emulated fault: HTTP <status>"}`, or with `statusBody` `html`
 *   (an HTML page) or `empty` (no body);
 * - `html403`: the bot wall's HTML page with 403;
 * - `malformedJson`: a truncated JSON body with 200;
 * - `reset`: the connection closed without an answer;
 * - `objectNotFound`: the Met's own 404 `{"message": "ObjectID not found"}` (an object listed by search, then gone);
 * - `notValidObject`: 404 `{"message": "Not a valid object"}`, as the Met answers for some objects it lists;
 * - `noImage` (object route): the record with `primaryImage`, `primaryImageSmall` and `additionalImages` empty,
 *   `isPublicDomain` unchanged (true for every bundled record);
 * - `phantomIds` (search and objects routes): these IDs, which 404, put first in `objectIDs` (and counted in `total`);
 * - `reorder` (search route): the same IDs in another order, `byParamOrder` rotated by the position of `q` among the
 *   query parameters (so the same search with its parameters in another order answers differently), `perCall`
 *   rotated by one more on every call (so two identical calls answer differently).
 * `objectIds` limits a fault on the object route to those object IDs (others are served, and use none of `times`).
 */
export const faultSchema = z
  .strictObject({
    latencyMs: z.number().int().min(0).max(120_000).optional(),
    status: z.number().int().min(400).max(599).optional(),
    statusBody: z.enum(['json', 'html', 'empty']).optional(),
    html403: z.literal(true).optional(),
    malformedJson: z.literal(true).optional(),
    reset: z.literal(true).optional(),
    objectNotFound: z.literal(true).optional(),
    notValidObject: z.literal(true).optional(),
    noImage: z.literal(true).optional(),
    phantomIds: z.array(z.number().int().positive()).min(1).optional(),
    reorder: z.enum(['byParamOrder', 'perCall']).optional(),
    objectIds: z.array(z.number().int().positive()).min(1).optional(),
    times: z.number().int().positive().optional(),
    probability: z.number().min(0).max(1).optional(),
  })
  .superRefine((fault, context) => {
    const kinds = responseKinds.filter((kind) => fault[kind] !== undefined);
    if (kinds.length > 1) {
      context.addIssue({
        code: 'custom',
        message: `a fault may set only one of ${responseKinds.join(', ')}; got ${kinds.join(', ')}`,
      });
    }
    if (kinds.length === 0 && fault.latencyMs === undefined) {
      context.addIssue({
        code: 'custom',
        message: `a fault must set latencyMs or one of ${responseKinds.join(', ')}`,
      });
    }
    if (fault.statusBody !== undefined && fault.status === undefined) {
      context.addIssue({ code: 'custom', path: ['statusBody'], message: 'statusBody needs a status' });
    }
  });

/** A fault to inject on a route (see {@link faultSchema} for the rules). */
export type Fault = z.infer<typeof faultSchema>;

/** A map of faults per route, as accepted by the env var, the CLI and `createMetEmulator`. */
export const faultMapSchema = z.partialRecord(faultRouteSchema, faultSchema);

/** Faults keyed by route. */
export type FaultMap = Partial<Record<FaultRoute, Fault>>;

/**
 * The Met's bot wall: more than `maxRequests` API requests within `windowMs` (counted over every route, answered
 * or not) and every API request answers the HTML 403 page for `cooldownMs`; then the count starts afresh.
 */
export const botWallSchema = z.strictObject({
  maxRequests: z.number().int().positive(),
  windowMs: z.number().int().positive().max(3_600_000),
  cooldownMs: z.number().int().min(0).max(3_600_000),
});

/** The bot wall's settings (see {@link botWallSchema}). */
export type BotWall = z.infer<typeof botWallSchema>;

/** Formats a zod error as one line per problem, each naming the field (path) that is wrong. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
