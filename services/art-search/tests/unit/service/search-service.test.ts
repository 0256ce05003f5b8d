import { NotFoundError, UpstreamError } from '@mlms/service-kit';
import { describe, expect, it } from 'vitest';
import type { MetProvider, MetSearchParams } from '../../../src/provider/met-provider.js';
import { SearchService } from '../../../src/service/search-service.js';
import { type MetObject, metObjectSchema } from '../../../src/views/met.js';
import { socratesArtwork } from '../../support/artworks.js';
import { deathOfSocrates, metRecord, wheatField, withoutImage } from '../../support/met-records.js';

/**
 * A stand-in for the provider that serves real parsed views (built with the wire schema from wire-shaped
 * records) and records what the service asked for.
 */
class StubMetProvider {
  readonly searches: MetSearchParams[] = [];
  readonly objectRequests: number[] = [];
  inFlight = 0;
  maxInFlight = 0;

  constructor(
    private readonly searchIds: number[] | null,
    private readonly records: Record<number, Record<string, unknown> | 'missing' | Error>,
  ) {}

  async search(params: MetSearchParams) {
    this.searches.push(params);
    return { total: this.searchIds?.length ?? 0, objectIDs: this.searchIds ?? [] };
  }

  async getObject(objectId: number): Promise<MetObject | null> {
    this.objectRequests.push(objectId);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await new Promise((resolve) => setTimeout(resolve, 5));
    this.inFlight--;
    const record = this.records[objectId];
    if (record instanceof Error) throw record;
    if (record === undefined || record === 'missing') return null;
    return metObjectSchema.parse(record);
  }

  async getDepartments() {
    return { departments: [{ departmentId: 11, displayName: 'European Paintings' }] };
  }
}

function serviceWith(stub: StubMetProvider, maxCandidates = 5, concurrency = 3) {
  return new SearchService(stub as unknown as MetProvider, { maxCandidates, concurrency });
}

describe('SearchService.searchByTitle', () => {
  it('given a title whose first match has an image, when searching, then returns that artwork', async () => {
    // Given
    const stub = new StubMetProvider([436105, 1], { 436105: deathOfSocrates, 1: wheatField });

    // When
    const result = await serviceWith(stub).searchByTitle({ title: 'The Death of Socrates' });

    // Then
    expect(result).toEqual(socratesArtwork(2));
    expect(stub.searches).toEqual([{ q: 'The Death of Socrates', title: true, hasImages: true }]);
  });

  it('given earlier matches without images, when searching, then returns the first match that has one', async () => {
    // Given
    const stub = new StubMetProvider([1, 2, 436535, 436105], {
      1: withoutImage(1),
      2: withoutImage(2),
      436535: wheatField,
      436105: deathOfSocrates,
    });

    // When
    const result = await serviceWith(stub).searchByTitle({ title: 'field' });

    // Then
    expect(result.objectId).toBe(436535);
  });

  it('given a match the Met no longer knows, when searching, then skips it', async () => {
    // Given
    const stub = new StubMetProvider([1, 436105], { 1: 'missing', 436105: deathOfSocrates });

    // When
    const result = await serviceWith(stub).searchByTitle({ title: 'socrates' });

    // Then
    expect(result.objectId).toBe(436105);
  });

  it('given no matches, when searching, then raises NotFoundError "No results found."', async () => {
    // Given
    const stub = new StubMetProvider(null, {});

    // When / Then
    await expect(serviceWith(stub).searchByTitle({ title: 'zzzz' })).rejects.toEqual(
      new NotFoundError('No results found.'),
    );
  });

  it('given only matches without images among the first five, when searching, then raises NotFoundError', async () => {
    // Given: the sixth match has an image but is past the limit
    const ids = [1, 2, 3, 4, 5, 436105];
    const stub = new StubMetProvider(ids, {
      1: withoutImage(1),
      2: withoutImage(2),
      3: withoutImage(3),
      4: withoutImage(4),
      5: withoutImage(5),
      436105: deathOfSocrates,
    });

    // When / Then
    await expect(serviceWith(stub).searchByTitle({ title: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    expect(stub.objectRequests).toEqual([1, 2, 3, 4, 5]);
  });

  it('given many candidates, when searching, then never fetches more records at once than the concurrency', async () => {
    // Given
    const ids = [1, 2, 3, 4, 5];
    const stub = new StubMetProvider(ids, Object.fromEntries(ids.map((id) => [id, withoutImage(id)])));

    // When
    await serviceWith(stub, 5, 2)
      .searchByTitle({ title: 'x' })
      .catch(() => undefined);

    // Then
    expect(stub.maxInFlight).toBe(2);
    expect(stub.objectRequests).toEqual(ids);
  });

  it('given the first candidate has an image, when searching, then fetches only that record', async () => {
    // Given
    const stub = new StubMetProvider([436105, 1, 2], { 436105: deathOfSocrates });

    // When
    await serviceWith(stub, 5, 3).searchByTitle({ title: 'socrates' });

    // Then
    expect(stub.objectRequests).toEqual([436105]);
  });

  it('given a department, when searching, then passes it to the Met search', async () => {
    // Given
    const stub = new StubMetProvider([436105], { 436105: deathOfSocrates });

    // When
    await serviceWith(stub).searchByTitle({ title: 'socrates', departmentId: 11 });

    // Then
    expect(stub.searches[0]).toEqual({ q: 'socrates', title: true, hasImages: true, departmentId: 11 });
  });

  it('given the Met fails on the first candidate, when searching, then the upstream error propagates', async () => {
    // Given
    const failure = new UpstreamError('Met Collection API', 'status', 'Met Collection API answered HTTP 503.');
    const stub = new StubMetProvider([1, 436105], { 1: failure, 436105: deathOfSocrates });

    // When / Then
    await expect(serviceWith(stub).searchByTitle({ title: 'x' })).rejects.toBe(failure);
  });

  it('given a later candidate fails after an earlier one answered, when searching, then the answer stands', async () => {
    // Given
    const failure = new UpstreamError('Met Collection API', 'status', 'Met Collection API answered HTTP 503.');
    const stub = new StubMetProvider([436105, 1], { 436105: deathOfSocrates, 1: failure });

    // When
    const result = await serviceWith(stub).searchByTitle({ title: 'x' });

    // Then
    expect(result.objectId).toBe(436105);
  });

  it('given a record with empty artist and date, when searching, then they become null', async () => {
    // Given
    const record = metRecord({
      objectID: 10000,
      title: 'Work Table',
      primaryImage: 'https://images.metmuseum.org/CRDImages/ad/original/17653.jpg',
      objectURL: '',
    });
    const stub = new StubMetProvider([10000], { 10000: record });

    // When
    const result = await serviceWith(stub).searchByTitle({ title: 'work table' });

    // Then
    expect(result).toMatchObject({ artist: null, objectDate: null, primaryImageSmall: null, objectUrl: null });
  });
});

describe('SearchService.getArtwork', () => {
  it('given a known object, when looking it up, then returns it with totalResults 1', async () => {
    // Given
    const stub = new StubMetProvider([], { 436105: deathOfSocrates });

    // When
    const result = await serviceWith(stub).getArtwork(436105);

    // Then
    expect(result).toMatchObject({ objectId: 436105, title: 'The Death of Socrates', totalResults: 1 });
  });

  it('given an object without an image, when looking it up, then primaryImage is null', async () => {
    // Given
    const stub = new StubMetProvider([], { 7: withoutImage(7) });

    // When
    const result = await serviceWith(stub).getArtwork(7);

    // Then
    expect(result.primaryImage).toBeNull();
  });

  it('given an unknown object, when looking it up, then raises NotFoundError naming the ID', async () => {
    // Given
    const stub = new StubMetProvider([], {});

    // When / Then
    await expect(serviceWith(stub).getArtwork(42)).rejects.toEqual(new NotFoundError('No artwork with object ID 42.'));
  });
});

describe('SearchService.listDepartments', () => {
  it('maps the Met departments to {id, name}', async () => {
    // Given
    const stub = new StubMetProvider([], {});

    // When
    const departments = await serviceWith(stub).listDepartments();

    // Then
    expect(departments).toEqual([{ id: 11, name: 'European Paintings' }]);
  });
});

describe('SearchService.searchArtworks', () => {
  const page = { query: 'wheat', titleOnly: true, limit: 2, offset: 0 };

  it('given a title query, when searching a page, then fills in each match in the Met order and says how many matched', async () => {
    // Given
    const stub = new StubMetProvider([436105, 1, 2], { 436105: deathOfSocrates, 1: wheatField, 2: withoutImage(2) });

    // When
    const result = await serviceWith(stub).searchArtworks(page);

    // Then
    expect(result.total).toBe(3);
    expect(result.offset).toBe(0);
    expect(result.artworks.map((artwork) => artwork.objectId)).toEqual([436105, 436535]);
    const { totalResults: _, ...socrates } = socratesArtwork(1);
    expect(result.artworks[0]).toEqual(socrates);
    expect(stub.searches).toEqual([{ q: 'wheat', title: true }]);
    expect(stub.objectRequests).toEqual([436105, 1]);
  });

  it('given an offset, when searching a page, then fills in only the matches from the offset on', async () => {
    // Given
    const stub = new StubMetProvider([436105, 1, 2], { 436105: deathOfSocrates, 1: wheatField, 2: withoutImage(2) });

    // When
    const result = await serviceWith(stub).searchArtworks({ ...page, offset: 2 });

    // Then
    expect(result.artworks.map((artwork) => artwork.objectId)).toEqual([2]);
    expect(result.artworks[0]?.primaryImage).toBeNull();
    expect(stub.objectRequests).toEqual([2]);
  });

  it('given free text, a department and hasImages, when searching, then passes them to the Met search', async () => {
    // Given
    const stub = new StubMetProvider([], {});

    // When
    const result = await serviceWith(stub).searchArtworks({
      ...page,
      titleOnly: false,
      departmentId: 11,
      hasImages: true,
    });

    // Then
    expect(result).toEqual({ total: 0, offset: 0, artworks: [] });
    expect(stub.searches).toEqual([{ q: 'wheat', hasImages: true, departmentId: 11 }]);
    expect(stub.objectRequests).toEqual([]);
  });

  it('given a match the Met no longer knows, when searching a page, then leaves it out', async () => {
    // Given
    const stub = new StubMetProvider([5, 436105], { 5: 'missing', 436105: deathOfSocrates });

    // When
    const result = await serviceWith(stub).searchArtworks(page);

    // Then
    expect(result.artworks.map((artwork) => artwork.objectId)).toEqual([436105]);
    expect(result.total).toBe(2);
  });

  it('given a large page, when searching, then never fetches more records at once than the concurrency', async () => {
    // Given
    const ids = Array.from({ length: 20 }, (_, index) => 1000 + index);
    const stub = new StubMetProvider(ids, Object.fromEntries(ids.map((id) => [id, withoutImage(id)])));

    // When
    const result = await serviceWith(stub, 5, 3).searchArtworks({ ...page, limit: 20 });

    // Then
    expect(result.artworks.map((artwork) => artwork.objectId)).toEqual(ids);
    expect(stub.maxInFlight).toBe(3);
  });

  it('given the Met fails on a record, when searching a page, then the upstream error propagates', async () => {
    // Given
    const failure = new UpstreamError('Met Collection API', 'status', 'Met Collection API answered HTTP 500.');
    const stub = new StubMetProvider([436105, 1], { 436105: deathOfSocrates, 1: failure });

    // When / Then
    await expect(serviceWith(stub).searchArtworks(page)).rejects.toBe(failure);
  });
});
