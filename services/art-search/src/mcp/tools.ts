import { NotFoundError, UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Artwork, ArtworkPage, Department } from '../dto/artwork.js';
import type { FetchedImage } from '../provider/image-provider.js';
import type { SearchService } from '../service/search-service.js';
import { artworkFields, MAX_TITLE_LENGTH } from '../views/api.js';

/**
 * The MCP tools of art-search: input and output schemas, and handlers that call the same `SearchService` as the
 * HTTP routes. Like the routes, they only translate: arguments in, service calls, records out (as structured
 * content with a short text rendering for the assistant to read); failures become tool errors.
 */

/** What the tools need of the service layer (the real `SearchService`, or a stub in unit tests). */
export type ArtSearchOperations = Pick<SearchService, 'searchArtworks' | 'getArtwork' | 'listDepartments'>;

/** Where artwork images come from (the `ImageProvider`, or a stub). */
export interface ImageSource {
  fetch(url: string): Promise<FetchedImage>;
}

/** The part of a pino logger the MCP layer uses (Fastify's in HTTP, a stderr logger over stdio). */
export interface McpLogger {
  error(fields: object, message: string): void;
}

export interface McpDependencies {
  service: ArtSearchOperations;
  images: ImageSource;
  log: McpLogger;
}

export const MAX_SEARCH_LIMIT = 20;
const MAX_OBJECT_ID = 999_999_999;

const objectIdRule = `a Met object ID, a whole number from 0 to ${MAX_OBJECT_ID}, e.g. 436105`;
const objectId = z
  .int({ error: `objectId must be ${objectIdRule}` })
  .min(0, { error: `objectId must be ${objectIdRule}` })
  .max(MAX_OBJECT_ID, { error: `objectId must be ${objectIdRule}` })
  .describe('The Met object ID, as returned by search_artworks (e.g. 436105, The Death of Socrates).');

const limitRule = `limit must be a whole number from 1 to ${MAX_SEARCH_LIMIT}`;
const offsetRule = 'offset must be a whole number, 0 or more (the nextOffset of the previous page)';

export const searchArtworksInput = {
  query: z
    .string({ error: 'query must be text: words to look for, e.g. "The Death of Socrates"' })
    .trim()
    .min(1, { error: 'query must not be blank: give words to look for, e.g. "The Death of Socrates"' })
    .max(MAX_TITLE_LENGTH, { error: `query must be at most ${MAX_TITLE_LENGTH} characters` })
    .describe("Words to look for, e.g. an artwork's title, an artist, a subject or a place."),
  searchIn: z
    .enum(['title', 'anywhere'], { error: 'searchIn must be "title" or "anywhere"' })
    .default('title')
    .describe(
      '"title" (default): only artwork titles. "anywhere": all the Met indexes (artist, culture, tags, description).',
    ),
  departmentId: z
    .int({ error: 'departmentId must be a whole number, a department ID from list_departments, e.g. 11' })
    .min(0, { error: 'departmentId must be a department ID from list_departments, e.g. 11' })
    .optional()
    .describe('Only this department (IDs from list_departments, e.g. 11 for European Paintings).'),
  hasImages: z
    .boolean({ error: 'hasImages must be true or false' })
    .default(false)
    .describe('Only artworks with images (default false).'),
  limit: z
    .int({ error: limitRule })
    .min(1, { error: limitRule })
    .max(MAX_SEARCH_LIMIT, { error: limitRule })
    .default(5)
    .describe(`How many records to return, 1 to ${MAX_SEARCH_LIMIT} (default 5).`),
  offset: z
    .int({ error: offsetRule })
    .min(0, { error: offsetRule })
    .default(0)
    .describe('How many matches to skip, for paging: pass the nextOffset of the previous answer (default 0).'),
};

export const artworkOutput = artworkFields;

export const searchArtworksOutput = {
  query: z.string(),
  searchIn: z.enum(['title', 'anywhere']),
  total: z.number().int().describe('How many artworks matched in all.'),
  offset: z.number().int(),
  limit: z.number().int(),
  nextOffset: z.number().int().nullable().describe('The offset of the next page; null on the last page.'),
  artworks: z.array(z.object(artworkOutput)).describe('The records of this page, best match first.'),
};

export const getArtworkInput = { objectId };

export const listDepartmentsOutput = {
  departments: z.array(z.object({ id: z.number().int(), name: z.string() })),
};

export const getArtworkImageInput = {
  objectId,
  size: z
    .enum(['small', 'full'], { error: 'size must be "small" (web size, default) or "full" (original, can be large)' })
    .default('small')
    .describe('"small" (default): the web-size image. "full": the original, often several megabytes.'),
};

export const getArtworkImageOutput = {
  objectId: z.number().int(),
  title: z.string(),
  size: z.enum(['small', 'full']),
  url: z.string().describe('Where the image was fetched from.'),
  mimeType: z.string(),
  bytes: z.number().int(),
};

type Input<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>;

/** `search_artworks`: one page of matches, each filled in with its record. */
export async function searchArtworks(
  deps: McpDependencies,
  args: Input<typeof searchArtworksInput>,
): Promise<CallToolResult> {
  return guarded(deps, 'search_artworks', async () => {
    const page = await deps.service.searchArtworks({
      query: args.query,
      titleOnly: args.searchIn === 'title',
      departmentId: args.departmentId,
      hasImages: args.hasImages,
      limit: args.limit,
      offset: args.offset,
    });
    const nextOffset = args.offset + args.limit < page.total ? args.offset + args.limit : null;
    const structured = {
      query: args.query,
      searchIn: args.searchIn,
      total: page.total,
      offset: page.offset,
      limit: args.limit,
      nextOffset,
      artworks: page.artworks.map(toArtworkOutput),
    };
    return { structuredContent: structured, content: [{ type: 'text', text: renderPage(args, page, nextOffset) }] };
  });
}

/** `get_artwork`: one record by object ID. */
export async function getArtwork(deps: McpDependencies, args: Input<typeof getArtworkInput>): Promise<CallToolResult> {
  return guarded(deps, 'get_artwork', async () => {
    const artwork = toArtworkOutput(await deps.service.getArtwork(args.objectId));
    return { structuredContent: artwork, content: [{ type: 'text', text: renderArtwork(artwork) }] };
  });
}

/** `list_departments`: the IDs for `departmentId`. */
export async function listDepartments(deps: McpDependencies): Promise<CallToolResult> {
  return guarded(deps, 'list_departments', async () => {
    const departments = await deps.service.listDepartments();
    return { structuredContent: { departments }, content: [{ type: 'text', text: renderDepartments(departments) }] };
  });
}

/** `get_artwork_image`: the record's primary image as MCP image content. */
export async function getArtworkImage(
  deps: McpDependencies,
  args: Input<typeof getArtworkImageInput>,
): Promise<CallToolResult> {
  return guarded(deps, 'get_artwork_image', async () => {
    const artwork = await deps.service.getArtwork(args.objectId);
    const url =
      args.size === 'small' ? (artwork.primaryImageSmall ?? artwork.primaryImage) : (artwork.primaryImage ?? null);
    if (url === null) {
      return errorResult(
        `"${artwork.title}" (object ${artwork.objectId}) has no open-access image: the Met publishes images only of ` +
          'works it may share. Its record is still available with get_artwork.',
      );
    }
    let image: FetchedImage;
    try {
      image = await deps.images.fetch(url);
    } catch (error) {
      if (!(error instanceof UpstreamError || error instanceof UpstreamTimeoutError)) throw error;
      return errorResult(
        `${error.message} The image URL is ${url}. (Offline, the Met emulator serves records but no images.)`,
      );
    }
    const structured = {
      objectId: artwork.objectId,
      title: artwork.title,
      size: args.size,
      url,
      mimeType: image.mimeType,
      bytes: image.data.length,
    };
    return {
      structuredContent: structured,
      content: [
        { type: 'image', data: image.data.toString('base64'), mimeType: image.mimeType },
        {
          type: 'text',
          text: `${args.size === 'small' ? 'Web-size' : 'Full-size'} image of ${describe(artwork)}: ${url}`,
        },
      ],
    };
  });
}

/** Runs a handler, turning every failure into a tool error the assistant can read (the session goes on). */
async function guarded(
  deps: McpDependencies,
  tool: string,
  run: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    return await run();
  } catch (error) {
    if (!isExpectedFailure(error)) deps.log.error({ err: error, tool }, 'MCP tool failed');
    return errorResult(describeFailure(error));
  }
}

/** Failures that are answers (not found, the Met failed), not bugs: they are not logged as errors. */
export function isExpectedFailure(error: unknown): boolean {
  return error instanceof NotFoundError || error instanceof UpstreamError || error instanceof UpstreamTimeoutError;
}

/** A failure as one sentence for the assistant: what failed, and whether trying again can help. */
export function describeFailure(error: unknown): string {
  if (error instanceof NotFoundError) return error.message;
  if (error instanceof UpstreamTimeoutError) return `${error.message} Try again in a moment.`;
  if (error instanceof UpstreamError) {
    return `${error.message} This is a failure of the Met's service, not of the request; try again later.`;
  }
  return 'art-search failed unexpectedly; the failure is logged. Try again, or try another request.';
}

export function errorResult(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}

function toArtworkOutput(artwork: Artwork): z.output<z.ZodObject<typeof artworkOutput>> {
  return {
    objectId: artwork.objectId,
    title: artwork.title,
    artist: artwork.artist,
    department: artwork.department,
    objectDate: artwork.objectDate,
    primaryImage: artwork.primaryImage,
    primaryImageSmall: artwork.primaryImageSmall,
    additionalImages: artwork.additionalImages,
    objectUrl: artwork.objectUrl,
  };
}

function describe(artwork: Artwork): string {
  const by = [artwork.artist, artwork.objectDate].filter(Boolean).join(', ');
  return `"${artwork.title}"${by ? ` (${by})` : ''}, object ${artwork.objectId}`;
}

function renderArtwork(artwork: Artwork): string {
  return [
    `${describe(artwork)}, ${artwork.department || 'no department'}.`,
    `Image: ${artwork.primaryImage ?? 'none (no open-access image)'}`,
    ...(artwork.objectUrl ? [`Page: ${artwork.objectUrl}`] : []),
  ].join('\n');
}

function renderPage(args: Input<typeof searchArtworksInput>, page: ArtworkPage, nextOffset: number | null): string {
  const where = args.searchIn === 'title' ? 'in titles' : 'anywhere in the records';
  const matched = `${page.total} artwork${page.total === 1 ? '' : 's'} match "${args.query}" ${where}`;
  if (page.artworks.length === 0) {
    return page.total === 0
      ? `No artworks match "${args.query}" ${where}.`
      : `${matched}; none from offset ${args.offset}.`;
  }
  const lines = page.artworks.map(
    (artwork, index) =>
      `${args.offset + index + 1}. ${describe(artwork)}; ${artwork.department}; image: ${artwork.primaryImage ?? 'none'}`,
  );
  const more = nextOffset === null ? 'That is the last page.' : `Next page: offset ${nextOffset}.`;
  return [`${matched}; ${page.artworks.length} shown from offset ${args.offset}:`, ...lines, more].join('\n');
}

function renderDepartments(departments: Department[]): string {
  return [
    `${departments.length} departments (id: name), for search_artworks' departmentId:`,
    ...departments.map((department) => `${department.id}: ${department.name}`),
  ].join('\n');
}
