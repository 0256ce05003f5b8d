import { NotFoundError } from '@mlms/service-kit';
import type {
  Artwork,
  ArtworkPage,
  ArtworkPageQuery,
  ArtworkSearchQuery,
  ArtworkSearchResult,
  Department,
} from '../dto/artwork.js';
import type { MetProvider } from '../provider/met-provider.js';
import type { MetObject } from '../views/met.js';

export interface SearchServiceOptions {
  /** How many of the Met's top search hits to inspect for one with an image. */
  maxCandidates: number;
  /** How many of those object records to fetch at once. */
  concurrency: number;
}

/** The message of the Python original, kept byte for byte because its clients match on it. */
export const NO_RESULTS = 'No results found.';

/** Business logic of art search: turns the Met's views into our DTOs. Knows nothing of HTTP. */
export class SearchService {
  constructor(
    private readonly met: MetProvider,
    private readonly options: SearchServiceOptions,
  ) {}

  /**
   * Finds the best-matching artwork with an open-access image: the first of the Met's top title matches
   * (in the Met's relevance order) whose record has a primary image.
   *
   * @throws NotFoundError when nothing matches or none of the top matches has an image.
   * @throws UpstreamError | UpstreamTimeoutError when the Met cannot be asked.
   */
  async searchByTitle(query: ArtworkSearchQuery): Promise<ArtworkSearchResult> {
    const response = await this.met.search({
      q: query.title,
      title: true,
      hasImages: true,
      ...(query.departmentId !== undefined ? { departmentId: query.departmentId } : {}),
    });
    const candidates = response.objectIDs.slice(0, this.options.maxCandidates);
    const match = await this.firstWithImage(candidates);
    if (!match) throw new NotFoundError(NO_RESULTS);
    return { ...toArtwork(match), totalResults: response.total };
  }

  /**
   * Looks up one artwork by its Met object ID.
   *
   * @throws NotFoundError when the Met has no such object.
   */
  async getArtwork(objectId: number): Promise<ArtworkSearchResult> {
    const object = await this.met.getObject(objectId);
    if (!object) throw new NotFoundError(`No artwork with object ID ${objectId}.`);
    return { ...toArtwork(object), totalResults: 1 };
  }

  /**
   * One page of a search, with every match on it filled in with its record (not bare IDs): the Met's matches from
   * `offset` on, `limit` of them, fetched `concurrency` at a time and kept in the Met's relevance order. IDs the Met
   * no longer knows are left out (IDs come and go between a search and an object lookup). Nothing matching is an
   * empty page with total 0, not an error: a page past the end is empty too.
   *
   * @throws UpstreamError | UpstreamTimeoutError when the Met cannot be asked.
   */
  async searchArtworks(query: ArtworkPageQuery): Promise<ArtworkPage> {
    const response = await this.met.search({
      q: query.query,
      ...(query.titleOnly ? { title: true } : {}),
      ...(query.hasImages ? { hasImages: true } : {}),
      ...(query.departmentId !== undefined ? { departmentId: query.departmentId } : {}),
    });
    const ids = response.objectIDs.slice(query.offset, query.offset + query.limit);
    const objects: (MetObject | null)[] = new Array(ids.length).fill(null);
    let next = 0;
    const worker = async () => {
      while (next < ids.length) {
        const index = next++;
        objects[index] = await this.met.getObject(ids[index] as number);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, ids.length) }, worker));
    return {
      total: response.total,
      offset: query.offset,
      artworks: objects.filter((object): object is MetObject => object !== null).map(toArtwork),
    };
  }

  /** Lists the museum's departments, for the `departmentId` filter. */
  async listDepartments(): Promise<Department[]> {
    const { departments } = await this.met.getDepartments();
    return departments.map((department) => ({ id: department.departmentId, name: department.displayName }));
  }

  /**
   * Returns the first candidate, in the Met's order, whose record has a primary image. The top hit is fetched
   * alone because it usually has one, so the common case costs the Met one object call; only when it has no
   * image are the remaining candidates fetched, a few at a time. IDs the Met no longer knows are skipped (IDs
   * come and go between a search and an object lookup).
   */
  private async firstWithImage(objectIds: readonly number[]): Promise<MetObject | undefined> {
    const fetches: Promise<MetObject | null>[] = [];
    const start = (index: number) => {
      const fetch = this.met.getObject(objectIds[index] as number);
      // Marks the promise handled: if an earlier candidate answers first, this one is abandoned unawaited.
      fetch.catch(() => undefined);
      fetches.push(fetch);
    };
    for (let index = 0; index < objectIds.length; index++) {
      const window = index === 0 ? 1 : this.options.concurrency;
      while (fetches.length < objectIds.length && fetches.length < index + window) start(fetches.length);
      const object = await fetches[index];
      if (object && object.primaryImage !== '') return object;
    }
    return undefined;
  }
}

function toArtwork(object: MetObject): Artwork {
  return {
    objectId: object.objectID,
    title: object.title,
    artist: object.artistDisplayName || null,
    department: object.department,
    objectDate: object.objectDate || null,
    primaryImage: object.primaryImage || null,
    primaryImageSmall: object.primaryImageSmall || null,
    additionalImages: object.additionalImages,
    objectUrl: object.objectURL || null,
  };
}
