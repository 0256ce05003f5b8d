import { z } from 'zod';

/**
 * Our API's request and response views. They validate requests, shape responses, and are the single source of
 * the OpenAPI document, so the docs cannot drift from the behaviour.
 */

export const MAX_TITLE_LENGTH = 200;

function codePointLength(value: string): number {
  let length = 0;
  for (const _ of value) length++;
  return length;
}

const title = z
  .string({ error: 'title must be text' })
  .trim()
  // A refinement, not `.min(1)`: the kit reports it as pydantic reports a validator's ValueError (`value_error`).
  .refine((value) => value.length > 0, {
    error: 'title must not be blank: give part of an artwork title, e.g. "The Death of Socrates"',
  })
  // Characters are code points, as in JSON Schema's maxLength and the Python original: "🎨" counts once, not twice.
  .check((context) => {
    if (codePointLength(context.value) > MAX_TITLE_LENGTH) {
      context.issues.push({
        code: 'too_big',
        origin: 'string',
        maximum: MAX_TITLE_LENGTH,
        inclusive: true,
        input: context.value,
        message: `title must be at most ${MAX_TITLE_LENGTH} characters`,
      });
    }
  })
  .meta({ maxLength: MAX_TITLE_LENGTH })
  .describe(`Words from the artwork's title (1–${MAX_TITLE_LENGTH} characters, case-insensitive).`)
  .meta({ example: 'The Death of Socrates' });

const MAX_ID = 999_999_999;

/**
 * A non-negative integer id in a query string or path: digits only, so "1e3", "0x10", " 7" and "" are refused.
 * Refusals read as FastAPI's for `int = Query(ge=0, le=999999999)`: `int_parsing`, `greater_than_equal` or
 * `less_than_equal`.
 */
const integerId = (name: string, example: number) =>
  z
    .string({ error: `${name} must be an integer` })
    .check((context) => {
      const { value } = context;
      if (!/^-?\d+$/.test(value)) {
        context.issues.push({
          code: 'custom',
          params: { type: 'int_parsing' },
          input: value,
          message: `${name} must be a whole number from 0 to ${MAX_ID}, e.g. ${example}`,
        });
      } else if (value.startsWith('-') && !/^-0+$/.test(value)) {
        context.issues.push({ code: 'too_small', origin: 'number', minimum: 0, inclusive: true, input: value });
      } else if (Number(value) > MAX_ID) {
        context.issues.push({ code: 'too_big', origin: 'number', maximum: MAX_ID, inclusive: true, input: value });
      }
    })
    .transform(Number)
    .describe(`${name} (digits only).`)
    .meta({ example: String(example) });

export const searchQuerySchema = z.object({ title });

export const artworkSearchQuerySchema = z.object({
  title,
  departmentId: integerId('departmentId', 11)
    .optional()
    .describe('Only search this department (see `GET /api/v1/departments`).'),
});

export const artworkParamsSchema = z.object({ objectId: integerId('objectId', 436105) });

export const imageUrlSchema = z
  .string()
  .describe('URL of the primary image of the best match, as a JSON string.')
  .meta({ example: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg' });

/** The fields of one artwork record, shared by the REST view below and the MCP tools' output schemas. */
export const artworkFields = {
  objectId: z.number().int().describe('The Met object ID.'),
  title: z.string(),
  artist: z.string().nullable().describe('Artist display name; null when the Met records none.'),
  department: z.string().describe('Curatorial department.'),
  objectDate: z.string().nullable().describe('Date as the Met writes it, e.g. "1787" or "ca. 1665–67".'),
  primaryImage: z.string().nullable().describe('Full-size open-access image URL; null when there is none.'),
  primaryImageSmall: z.string().nullable().describe('Web-size variant of the primary image.'),
  additionalImages: z.array(z.string()).describe('Further open-access image URLs.'),
  objectUrl: z.string().nullable().describe('The object page on metmuseum.org.'),
};

export const artworkSchema = z
  .object({
    ...artworkFields,
    totalResults: z.number().int().describe('How many objects matched the request (1 for a lookup by ID).'),
  })
  .meta({
    id: 'Artwork',
    example: {
      objectId: 436105,
      title: 'The Death of Socrates',
      artist: 'Jacques Louis David',
      department: 'European Paintings',
      objectDate: '1787',
      primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg',
      primaryImageSmall: 'https://images.metmuseum.org/CRDImages/ep/web-large/DP102929.jpg',
      additionalImages: [],
      objectUrl: 'https://www.metmuseum.org/art/collection/search/436105',
      totalResults: 1,
    },
  });

export const departmentSchema = z
  .object({ id: z.number().int(), name: z.string() })
  .meta({ id: 'Department', example: { id: 11, name: 'European Paintings' } });

export const departmentsSchema = z.array(departmentSchema);

export type ArtworkView = z.infer<typeof artworkSchema>;
export type DepartmentView = z.infer<typeof departmentSchema>;
