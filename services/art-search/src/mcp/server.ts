import { NotFoundError } from '@mlms/service-kit';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import {
  artworkOutput,
  describeFailure,
  getArtwork,
  getArtworkImage,
  getArtworkImageInput,
  getArtworkImageOutput,
  getArtworkInput,
  isExpectedFailure,
  listDepartments,
  listDepartmentsOutput,
  MAX_SEARCH_LIMIT,
  type McpDependencies,
  searchArtworks,
  searchArtworksInput,
  searchArtworksOutput,
} from './tools.js';

export type { ArtSearchOperations, ImageSource, McpDependencies, McpLogger } from './tools.js';

/** The MCP error code for a resource that does not exist (from the MCP specification). */
export const RESOURCE_NOT_FOUND = -32002;

const readOnly = { readOnlyHint: true, openWorldHint: true, idempotentHint: true, destructiveHint: false };

/**
 * Builds an MCP server with the art-search tools and resources over the given service. It holds no state of its
 * own: the cache, the Met client and its request budget live in the service below it, so any number of these
 * servers (one per stateless HTTP request, or one over stdio) share them.
 */
export function createArtSearchMcpServer(deps: McpDependencies, version: string): McpServer {
  const server = new McpServer(
    { name: 'art-search', title: 'The Met collection (art-search)', version },
    {
      instructions:
        'Searches The Metropolitan Museum of Art collection. Use search_artworks to find artworks (it returns full ' +
        'records: title, artist, date, department, image and page URLs), get_artwork for one object ID, ' +
        'list_departments for department IDs to filter by, and get_artwork_image to see an image.',
    },
  );

  server.registerTool(
    'search_artworks',
    {
      title: 'Search artworks',
      description:
        "Searches The Met's collection and returns the matching artworks' records (title, artist, date, " +
        'department, image URLs, object page), best match first, and how many matched in all. Searches titles by ' +
        'default; searchIn "anywhere" also matches artists, cultures, tags and descriptions. Pages with limit ' +
        `(1–${MAX_SEARCH_LIMIT}, default 5) and offset; filter with departmentId from list_departments.`,
      inputSchema: searchArtworksInput,
      outputSchema: searchArtworksOutput,
      annotations: readOnly,
    },
    (args) => searchArtworks(deps, args),
  );

  server.registerTool(
    'get_artwork',
    {
      title: 'Get an artwork',
      description:
        "One artwork's record by its Met object ID (from search_artworks): title, artist, date, department, " +
        'image URLs and its page on metmuseum.org.',
      inputSchema: getArtworkInput,
      outputSchema: artworkOutput,
      annotations: readOnly,
    },
    (args) => getArtwork(deps, args),
  );

  server.registerTool(
    'list_departments',
    {
      title: 'List departments',
      description: "The Met's curatorial departments with their IDs, for search_artworks' departmentId filter.",
      outputSchema: listDepartmentsOutput,
      annotations: readOnly,
    },
    () => listDepartments(deps),
  );

  server.registerTool(
    'get_artwork_image',
    {
      title: 'Get an artwork image',
      description:
        'Fetches an artwork\'s primary image by its Met object ID, as image content: size "small" (web size, ' +
        'default) or "full" (the original, often several megabytes). Fails with a tool error when the artwork has ' +
        'no open-access image or the image host cannot be reached (offline, the Met emulator serves no images).',
      inputSchema: getArtworkImageInput,
      outputSchema: getArtworkImageOutput,
      annotations: readOnly,
    },
    (args) => getArtworkImage(deps, args),
  );

  server.registerResource(
    'departments',
    'met://departments',
    {
      title: 'Departments of The Met',
      description: "The Met's curatorial departments with their IDs (JSON).",
      mimeType: 'application/json',
    },
    async (uri) => {
      const departments = await resourceCall(deps, uri.href, () => deps.service.listDepartments());
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ departments }) }] };
    },
  );

  server.registerResource(
    'artwork',
    new ResourceTemplate('met://artworks/{objectId}', { list: undefined }),
    {
      title: 'An artwork of The Met',
      description: "One artwork's record by its Met object ID (JSON), e.g. met://artworks/436105.",
      mimeType: 'application/json',
    },
    async (uri, variables) => {
      const raw = variables.objectId;
      const text = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
      if (!/^\d{1,9}$/.test(text)) {
        throw new McpError(
          ErrorCode.InvalidParams,
          `${uri.href}: the object ID must be a whole number from 0 to 999999999, e.g. met://artworks/436105`,
        );
      }
      const { totalResults: _, ...artwork } = await resourceCall(deps, uri.href, () =>
        deps.service.getArtwork(Number(text)),
      );
      return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(artwork) }] };
    },
  );

  return server;
}

/** Runs a resource read; failures become JSON-RPC errors (resources have no `isError` result), named for the reader. */
async function resourceCall<T>(deps: McpDependencies, uri: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof NotFoundError) throw new McpError(RESOURCE_NOT_FOUND, error.message, { uri });
    if (!isExpectedFailure(error)) deps.log.error({ err: error, resource: uri }, 'MCP resource read failed');
    throw new McpError(ErrorCode.InternalError, describeFailure(error), { uri });
  }
}
