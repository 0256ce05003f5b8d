import {
  type QueryParameters,
  type ServiceMetrics,
  TtlCache,
  type UpstreamClient,
  UpstreamError,
  UpstreamTimeoutError,
} from '@mlms/service-kit';
import type { z } from 'zod';
import {
  type MetDepartmentsResponse,
  type MetObject,
  type MetObjectsResponse,
  type MetSearchResponse,
  metDepartmentsResponseSchema,
  metObjectSchema,
  metObjectsResponseSchema,
  metSearchResponseSchema,
} from '../views/met.js';

const API_PATH = '/public/collection/v1';

/** Every filter of `GET /search`. Only `q` is required (the Met insists on it even when filtering). */
export interface MetSearchParams {
  q: string;
  title?: boolean;
  tags?: boolean;
  isHighlight?: boolean;
  isOnView?: boolean;
  artistOrCulture?: boolean;
  hasImages?: boolean;
  departmentId?: number;
  /** e.g. `['Paintings', 'Sculpture']`, sent joined with `|`. */
  medium?: readonly string[];
  /** e.g. `['France', 'Paris']`, sent joined with `|`. */
  geoLocation?: readonly string[];
  /** Both or neither: the Met ignores one without the other. */
  dateBegin?: number;
  dateEnd?: number;
}

export interface MetObjectsParams {
  /** Only objects whose data changed after this date (`YYYY-MM-DD`). */
  metadataDate?: string;
  departmentIds?: readonly number[];
}

export interface MetCacheSettings {
  enabled: boolean;
  maxEntries: number;
  objectTtlMs: number;
  searchTtlMs: number;
  /** How long the Met's own "ObjectID not found" is cached (default 5 minutes). */
  notFoundTtlMs?: number | undefined;
  /** How long past its TTL an entry may still answer while the Met fails (default 0: never). */
  maxStaleMs?: number | undefined;
}

/** The body of the Met's 404 for an object ID it does not know: the only 404 cached as "does not exist". */
export const OBJECT_NOT_FOUND_MESSAGE = 'ObjectID not found';
/** The body of the Met's 404 for some objects it lists but will not serve (e.g. on loan): not cached. */
export const NOT_A_VALID_OBJECT_MESSAGE = 'Not a valid object';

const DEFAULT_NOT_FOUND_TTL_MS = 5 * 60_000;

/** What an object lookup stores: the record, or which of the Met's two "no such object" answers it gave. */
type ObjectLookup = MetObject | typeof OBJECT_NOT_FOUND | typeof NOT_A_VALID_OBJECT;
const OBJECT_NOT_FOUND = Symbol('ObjectID not found');
const NOT_A_VALID_OBJECT = Symbol('Not a valid object');

/** Every way the Met can fail to answer (5xx, timeout, bot wall, backing off, bad body, dropped connection). */
function isMetFailure(error: unknown): boolean {
  return error instanceof UpstreamError || error instanceof UpstreamTimeoutError;
}

/**
 * The data layer for The Met Collection API: one method per endpoint, returning parsed views. Responses are
 * cached by URL and identical concurrent requests are coalesced, which is most of how this service stays
 * well inside the Met's request budget. When the Met fails, an expired entry still within `maxStaleMs` answers
 * instead (counted as `cache_lookups_total{result="stale"}`).
 */
export class MetProvider {
  private readonly cache: TtlCache<unknown>;

  constructor(
    private readonly client: UpstreamClient,
    private readonly cacheSettings: MetCacheSettings,
    metrics?: ServiceMetrics,
  ) {
    this.cache = new TtlCache<unknown>({
      name: 'met',
      enabled: cacheSettings.enabled,
      maxEntries: cacheSettings.maxEntries,
      maxStaleMs: cacheSettings.maxStaleMs ?? 0,
      metrics,
    });
  }

  /**
   * Searches the collection (`GET /search`). Parameters are always sent in one fixed order, because the Met
   * has been seen to answer differently to the same parameters in another order.
   *
   * @returns the matching IDs in the Met's relevance order; an empty list (never null) when nothing matches.
   * @throws UpstreamError | UpstreamTimeoutError when the Met cannot be asked.
   */
  async search(params: MetSearchParams): Promise<MetSearchResponse> {
    const query: [string, string][] = [];
    const flag = (name: keyof MetSearchParams, value: boolean | undefined) => {
      if (value !== undefined) query.push([name, value ? 'true' : 'false']);
    };
    flag('title', params.title);
    flag('tags', params.tags);
    flag('isHighlight', params.isHighlight);
    flag('isOnView', params.isOnView);
    flag('artistOrCulture', params.artistOrCulture);
    flag('hasImages', params.hasImages);
    if (params.departmentId !== undefined) query.push(['departmentId', String(params.departmentId)]);
    if (params.medium?.length) query.push(['medium', params.medium.join('|')]);
    if (params.geoLocation?.length) query.push(['geoLocation', params.geoLocation.join('|')]);
    if (params.dateBegin !== undefined && params.dateEnd !== undefined) {
      query.push(['dateBegin', String(params.dateBegin)], ['dateEnd', String(params.dateEnd)]);
    }
    query.push(['q', params.q]);
    return this.cachedGet(
      'search',
      `${API_PATH}/search`,
      query,
      metSearchResponseSchema,
      this.cacheSettings.searchTtlMs,
    );
  }

  /**
   * Fetches one object's record (`GET /objects/{objectID}`). Only the Met's own JSON 404s mean "no such
   * object": `{"message": "ObjectID not found"}` (cached for `notFoundTtlMs`) and `{"message": "Not a valid
   * object"}` (not cached: the Met lists such objects, and may serve them later). Any other 404, an HTML page or
   * an empty body, is the Met failing, not an answer about the object.
   *
   * @returns the record, or null when the Met says the object does not exist or is not a valid object.
   * @throws UpstreamError (kind `status`, HTTP 404) for a 404 without one of those bodies, and as `search`.
   */
  async getObject(objectId: number): Promise<MetObject | null> {
    const path = `${API_PATH}/objects/${objectId}`;
    const found = (await this.cache.getOrLoad(
      this.client.requestPath(path),
      (value) => this.objectTtlMs(value as ObjectLookup),
      async (): Promise<ObjectLookup> => {
        const response = await this.client.getJson(path, {
          endpoint: 'object',
          schema: metObjectSchema,
          passThroughStatuses: [404],
        });
        if (response.ok) return response.data;
        const message = messageOf(response.body);
        if (message === OBJECT_NOT_FOUND_MESSAGE) return OBJECT_NOT_FOUND;
        if (message === NOT_A_VALID_OBJECT_MESSAGE) return NOT_A_VALID_OBJECT;
        throw new UpstreamError(this.client.name, 'status', `${this.client.name} answered HTTP ${response.status}.`, {
          upstreamStatus: response.status,
        });
      },
      { serveStale: isMetFailure },
    )) as ObjectLookup;
    return typeof found === 'symbol' ? null : found;
  }

  /** Lists object IDs (`GET /objects`), optionally changed after a date or within departments. */
  async getObjects(params: MetObjectsParams = {}): Promise<MetObjectsResponse> {
    const query: [string, string][] = [];
    if (params.metadataDate !== undefined) query.push(['metadataDate', params.metadataDate]);
    if (params.departmentIds?.length) query.push(['departmentIds', params.departmentIds.join('|')]);
    return this.cachedGet(
      'objects',
      `${API_PATH}/objects`,
      query,
      metObjectsResponseSchema,
      this.cacheSettings.searchTtlMs,
    );
  }

  /** Lists the museum's departments (`GET /departments`). */
  async getDepartments(): Promise<MetDepartmentsResponse> {
    return this.cachedGet(
      'departments',
      `${API_PATH}/departments`,
      [],
      metDepartmentsResponseSchema,
      this.cacheSettings.objectTtlMs,
    );
  }

  /** Asks the Met for its departments, bypassing the cache: a readiness check must see the real upstream. */
  async ping(): Promise<void> {
    await this.client.getJson(`${API_PATH}/departments`, {
      endpoint: 'departments',
      schema: metDepartmentsResponseSchema,
    });
  }

  private cachedGet<Schema extends z.ZodType>(
    endpoint: string,
    path: string,
    query: QueryParameters,
    schema: Schema,
    ttlMs: number,
  ): Promise<z.infer<Schema>> {
    const key = this.client.requestPath(path, query);
    return this.cache.getOrLoad(
      key,
      ttlMs,
      async () => {
        const response = await this.client.getJson(path, { endpoint, query, schema });
        // Without pass-through statuses the client throws on every non-2xx answer, so this is the parsed body.
        return (response as { data: z.infer<Schema> }).data;
      },
      { serveStale: isMetFailure },
    ) as Promise<z.infer<Schema>>;
  }

  private objectTtlMs(value: ObjectLookup): number {
    if (value === OBJECT_NOT_FOUND) return this.cacheSettings.notFoundTtlMs ?? DEFAULT_NOT_FOUND_TTL_MS;
    if (value === NOT_A_VALID_OBJECT) return 0;
    return this.cacheSettings.objectTtlMs;
  }
}

/** The `message` of a JSON error body such as `{"message": "ObjectID not found"}`, if it has one. */
function messageOf(body: unknown): unknown {
  return typeof body === 'object' && body !== null ? (body as { message?: unknown }).message : undefined;
}
