import {
  errorResponse,
  type ServiceApp,
  type UpstreamConfig,
  upstreamErrorResponses,
  validationErrorResponse,
} from '@mlms/service-kit';
import type { ArtworkSearchResult, Department } from '../dto/artwork.js';
import type { SearchService } from '../service/search-service.js';
import {
  type ArtworkView,
  artworkParamsSchema,
  artworkSchema,
  artworkSearchQuerySchema,
  type DepartmentView,
  departmentsSchema,
  imageUrlSchema,
  searchQuerySchema,
} from '../views/api.js';

/** The Met client the routes' answers come from: its name and configuration, for the 502 and 504 docs. */
export interface MetUpstream {
  upstream: string;
  config: Pick<UpstreamConfig, 'timeoutMs'>;
}

const titleMissing = { type: 'missing', loc: ['query', 'title'], msg: 'Field required', input: null };

/** The interface layer: request views in, service calls, DTOs out as response views; errors are thrown. */
export async function registerArtSearchRoutes(
  app: ServiceApp,
  service: SearchService,
  met: MetUpstream,
): Promise<void> {
  const upstreamErrors = upstreamErrorResponses(met.upstream, met.config, {
    502: 'The Met API failed: an error status, a bot-protection page, a broken answer, a lost or refused connection.',
    504: 'The Met API did not answer in time.',
  });
  app.get(
    '/api/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Image of the best title match',
        description:
          'Searches The Met collection by title and returns the primary image URL of the best match that has one, ' +
          'as a JSON string (the contract of the original Python service).',
        querystring: searchQuerySchema,
        response: {
          200: imageUrlSchema,
          404: errorResponse('No artwork with an image matches the title.', 'No results found.'),
          422: validationErrorResponse('The title is missing, blank or too long.', titleMissing),
          ...upstreamErrors,
        },
      },
    },
    // Named as the Python original's endpoint, so the operationId is FastAPI's `search_api_search_get`.
    async function search(request, reply) {
      const result = await service.searchByTitle({ title: request.query.title });
      // Fastify would send a bare string as text/plain; the contract is a JSON document holding a string, as in
      // FastAPI. A string sent with a JSON content type is taken as already serialised, so serialise it here.
      return reply.type('application/json').send(JSON.stringify(imageUrlSchema.parse(result.primaryImage ?? '')));
    },
  );

  app.get(
    '/api/v1/artworks/search',
    {
      schema: {
        tags: ['artworks'],
        summary: 'Best title match, with its details',
        description: 'Like `/api/search`, but answers with the whole artwork, optionally restricted to one department.',
        querystring: artworkSearchQuerySchema,
        response: {
          200: artworkSchema,
          404: errorResponse('No artwork with an image matches.', 'No results found.'),
          422: validationErrorResponse('Invalid title or departmentId.', titleMissing),
          ...upstreamErrors,
        },
      },
    },
    async function searchArtworks(request) {
      return toArtworkView(await service.searchByTitle(request.query));
    },
  );

  app.get(
    '/api/v1/artworks/:objectId',
    {
      schema: {
        tags: ['artworks'],
        summary: 'One artwork by its Met object ID',
        params: artworkParamsSchema,
        response: {
          200: artworkSchema,
          404: errorResponse('The Met has no object with this ID.', 'No artwork with object ID 999999999.'),
          422: validationErrorResponse('The object ID is not a whole number from 0 to 999999999.', {
            type: 'int_parsing',
            loc: ['path', 'objectId'],
            msg: 'Input should be a valid integer, unable to parse string as an integer',
            input: 'abc',
          }),
          ...upstreamErrors,
        },
      },
    },
    async function getArtwork(request) {
      return toArtworkView(await service.getArtwork(request.params.objectId));
    },
  );

  app.get(
    '/api/v1/departments',
    {
      schema: {
        tags: ['artworks'],
        summary: "The museum's departments",
        description: 'IDs to use as `departmentId`.',
        response: { 200: departmentsSchema, ...upstreamErrors },
      },
    },
    async function listDepartments() {
      return (await service.listDepartments()).map(toDepartmentView);
    },
  );
}

function toArtworkView(result: ArtworkSearchResult): ArtworkView {
  return {
    objectId: result.objectId,
    title: result.title,
    artist: result.artist,
    department: result.department,
    objectDate: result.objectDate,
    primaryImage: result.primaryImage,
    primaryImageSmall: result.primaryImageSmall,
    additionalImages: result.additionalImages,
    objectUrl: result.objectUrl,
    totalResults: result.totalResults,
  };
}

function toDepartmentView(department: Department): DepartmentView {
  return { id: department.id, name: department.name };
}
