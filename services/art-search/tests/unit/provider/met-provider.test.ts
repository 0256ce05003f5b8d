import { UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { deathOfSocrates } from '../../support/met-records.js';
import { API, json, providerWithMockMet } from '../../support/mock-met.js';

let harness: ReturnType<typeof providerWithMockMet>;
afterEach(async () => {
  await harness.close();
});

describe('MetProvider.search', () => {
  it('sends title and hasImages as true/false words with q last, and returns the IDs in order', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/search?title=true&hasImages=true&q=The+Death+of+Socrates`, method: 'GET' })
      .reply(200, { total: 2, objectIDs: [436105, 459028] }, json);

    // When
    const result = await harness.provider.search({ q: 'The Death of Socrates', title: true, hasImages: true });

    // Then
    expect(result).toEqual({ total: 2, objectIDs: [436105, 459028] });
  });

  it('sends every filter in one fixed order, joining lists with |', async () => {
    // Given
    harness = providerWithMockMet();
    const expected =
      `${API}/search?title=false&tags=true&isHighlight=true&isOnView=false&artistOrCulture=true&hasImages=true` +
      '&departmentId=11&medium=Paintings%7CSculpture&geoLocation=France%7CParis&dateBegin=1700&dateEnd=1800&q=cat';
    // MockAgent sorts query parameters before matching, so the path actually sent is recorded instead.
    const sent: string[] = [];
    harness.met.intercept({ path: (path) => path.startsWith(`${API}/search?`), method: 'GET' }).reply((request) => {
      sent.push(request.path);
      return { statusCode: 200, data: { total: 1, objectIDs: [1] }, responseOptions: json };
    });

    // When
    const result = await harness.provider.search({
      q: 'cat',
      dateEnd: 1800,
      geoLocation: ['France', 'Paris'],
      medium: ['Paintings', 'Sculpture'],
      departmentId: 11,
      hasImages: true,
      artistOrCulture: true,
      isOnView: false,
      isHighlight: true,
      tags: true,
      title: false,
      dateBegin: 1700,
    });

    // Then
    expect(result.objectIDs).toEqual([1]);
    expect(sent).toEqual([expected]);
  });

  it('leaves out a date range given only half of', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/search?q=cat`, method: 'GET' })
      .reply(200, { total: 0, objectIDs: null }, json);

    // When
    const result = await harness.provider.search({ q: 'cat', dateBegin: 1700 });

    // Then
    expect(result).toEqual({ total: 0, objectIDs: [] });
  });

  it('turns the null objectIDs of a search without matches into an empty list', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/search?q=zzz`, method: 'GET' })
      .reply(200, { total: 0, objectIDs: null }, json);

    // When
    const result = await harness.provider.search({ q: 'zzz' });

    // Then
    expect(result).toEqual({ total: 0, objectIDs: [] });
  });

  it('percent-encodes unicode and reserved characters in q', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/search?q=%C3%89t%C3%A9+%26+co%3D%3F`, method: 'GET' })
      .reply(200, { total: 0, objectIDs: null }, json);

    // When
    const result = await harness.provider.search({ q: 'Été & co=?' });

    // Then
    expect(result.total).toBe(0);
  });
});

describe('MetProvider.getObject', () => {
  it('parses a full record, keeping the fields it reads and dropping the rest', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(200, { ...deathOfSocrates, aFieldFromTheFuture: { nested: true } }, json);

    // When
    const object = await harness.provider.getObject(436105);

    // Then
    expect(object?.title).toBe('The Death of Socrates');
    expect(object?.primaryImage).toBe('https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg');
    expect(object).not.toHaveProperty('aFieldFromTheFuture');
    expect(object).not.toHaveProperty('constituents');
  });

  it('accepts null constituents, tags and text fields, reading null text as ""', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(
        200,
        { ...deathOfSocrates, constituents: null, tags: null, artistDisplayName: null, additionalImages: null },
        json,
      );

    // When
    const object = await harness.provider.getObject(436105);

    // Then
    expect(object?.artistDisplayName).toBe('');
    expect(object?.additionalImages).toEqual([]);
    expect(object?.title).toBe('The Death of Socrates');
  });

  it('returns null when the Met answers 404 ObjectID not found', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/objects/999999999`, method: 'GET' })
      .reply(404, { message: 'ObjectID not found' }, json);

    // When
    const object = await harness.provider.getObject(999_999_999);

    // Then
    expect(object).toBeNull();
  });

  it('raises a bot-protection UpstreamError for the HTML 403 page instead of parsing it', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(403, '<html><body>Request unsuccessful. Incapsula incident ID: 1</body></html>', {
        headers: { 'content-type': 'text/html' },
      });

    // When / Then
    await expect(harness.provider.getObject(436105)).rejects.toMatchObject({
      constructor: UpstreamError,
      kind: 'bot_protection',
      statusCode: 502,
    });
  });

  it('raises a malformed-body UpstreamError for broken JSON', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met.intercept({ path: `${API}/objects/436105`, method: 'GET' }).reply(200, '{"objectID": 4361', json);

    // When / Then
    await expect(harness.provider.getObject(436105)).rejects.toMatchObject({ kind: 'malformed_body' });
  });

  it('raises an unexpected-shape UpstreamError naming the field when the record is not an object record', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(200, { ...deathOfSocrates, objectID: 'four' }, json);

    // When / Then
    await expect(harness.provider.getObject(436105)).rejects.toThrow(/unexpected shape at objectID/);
  });

  it('raises UpstreamTimeoutError when the Met does not answer in time', async () => {
    // Given
    harness = providerWithMockMet({}, { timeoutMs: 50 });
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(200, deathOfSocrates, json)
      .delay(500);

    // When / Then
    await expect(harness.provider.getObject(436105)).rejects.toBeInstanceOf(UpstreamTimeoutError);
  });

  it('retries once after a 5xx and returns the second answer', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met.intercept({ path: `${API}/objects/436105`, method: 'GET' }).reply(503, 'busy');
    harness.met.intercept({ path: `${API}/objects/436105`, method: 'GET' }).reply(200, deathOfSocrates, json);

    // When
    const object = await harness.provider.getObject(436105);

    // Then
    expect(object?.objectID).toBe(436105);
  });
});

describe('MetProvider.getObjects', () => {
  it('sends metadataDate and departmentIds joined with |', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/objects?metadataDate=2024-01-31&departmentIds=1%7C3%7C11`, method: 'GET' })
      .reply(200, { total: 2, objectIDs: [1, 2] }, json);

    // When
    const result = await harness.provider.getObjects({ metadataDate: '2024-01-31', departmentIds: [1, 3, 11] });

    // Then
    expect(result).toEqual({ total: 2, objectIDs: [1, 2] });
  });

  it('lists every object without filters', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met.intercept({ path: `${API}/objects`, method: 'GET' }).reply(200, { total: 1, objectIDs: [7] }, json);

    // When
    const result = await harness.provider.getObjects();

    // Then
    expect(result.objectIDs).toEqual([7]);
  });
});

describe('MetProvider.getDepartments', () => {
  it('parses the departments list', async () => {
    // Given
    harness = providerWithMockMet();
    harness.met
      .intercept({ path: `${API}/departments`, method: 'GET' })
      .reply(200, { departments: [{ departmentId: 11, displayName: 'European Paintings' }] }, json);

    // When
    const result = await harness.provider.getDepartments();

    // Then
    expect(result.departments).toEqual([{ departmentId: 11, displayName: 'European Paintings' }]);
  });
});

describe('MetProvider caching', () => {
  it('answers a repeated search from the cache when caching is on', async () => {
    // Given: the mock answers exactly once, so a second upstream call would fail
    harness = providerWithMockMet({ enabled: true });
    harness.met
      .intercept({ path: `${API}/search?q=cat`, method: 'GET' })
      .reply(200, { total: 1, objectIDs: [1] }, json);
    await harness.provider.search({ q: 'cat' });

    // When
    const again = await harness.provider.search({ q: 'cat' });

    // Then
    expect(again.objectIDs).toEqual([1]);
  });

  it('makes one upstream call for concurrent identical lookups', async () => {
    // Given: the mock answers exactly once, so a second upstream call would fail
    harness = providerWithMockMet({ enabled: true });
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(200, deathOfSocrates, json)
      .delay(20);

    // When
    const results = await Promise.all(Array.from({ length: 10 }, () => harness.provider.getObject(436105)));

    // Then
    expect(results.every((object) => object?.objectID === 436105)).toBe(true);
  });

  it('asks the Met again once caching is off and the first lookup has finished', async () => {
    // Given
    harness = providerWithMockMet({ enabled: false });
    harness.met
      .intercept({ path: `${API}/departments`, method: 'GET' })
      .reply(200, { departments: [] }, json)
      .times(2);
    await harness.provider.getDepartments();

    // When
    await harness.provider.getDepartments();

    // Then: both interceptors were used
    expect(() => harness.agent.assertNoPendingInterceptors()).not.toThrow();
  });

  it('pings the Met without using the cache', async () => {
    // Given
    harness = providerWithMockMet({ enabled: true });
    harness.met
      .intercept({ path: `${API}/departments`, method: 'GET' })
      .reply(200, { departments: [] }, json)
      .times(2);
    await harness.provider.getDepartments();

    // When
    await harness.provider.ping();

    // Then
    expect(() => harness.agent.assertNoPendingInterceptors()).not.toThrow();
  });
});

describe('MetProvider: which 404 means "no such object"', () => {
  it('caches the Met\'s own "ObjectID not found" for notFoundTtlMs', async () => {
    // Given: the mock answers exactly once, so a second upstream call would fail
    harness = providerWithMockMet({ enabled: true, notFoundTtlMs: 60_000 });
    harness.met
      .intercept({ path: `${API}/objects/1`, method: 'GET' })
      .reply(404, { message: 'ObjectID not found' }, json);
    await harness.provider.getObject(1);

    // When
    const again = await harness.provider.getObject(1);

    // Then
    expect(again).toBeNull();
  });

  it('answers null for "Not a valid object" without caching it', async () => {
    // Given
    harness = providerWithMockMet({ enabled: true });
    harness.met
      .intercept({ path: `${API}/objects/2`, method: 'GET' })
      .reply(404, { message: 'Not a valid object' }, json);
    harness.met
      .intercept({ path: `${API}/objects/2`, method: 'GET' })
      .reply(200, { ...deathOfSocrates, objectID: 2 }, json);

    // When
    const first = await harness.provider.getObject(2);
    const second = await harness.provider.getObject(2);

    // Then
    expect(first).toBeNull();
    expect(second?.objectID).toBe(2);
  });

  it.each([
    ['an HTML page', '<html><body>Not Found</body></html>', { 'content-type': 'text/html' }],
    ['an empty body', '', {}],
    ['other JSON', '{"message":"Emulated fault: HTTP 404"}', json.headers],
  ])('treats a 404 with %s as a failing Met, not caching it', async (_name, body, headers) => {
    // Given
    harness = providerWithMockMet({ enabled: true });
    harness.met.intercept({ path: `${API}/objects/436105`, method: 'GET' }).reply(404, body, { headers });
    harness.met.intercept({ path: `${API}/objects/436105`, method: 'GET' }).reply(200, deathOfSocrates, json);

    // When
    const failed = harness.provider.getObject(436105);

    // Then
    await expect(failed).rejects.toMatchObject({
      constructor: UpstreamError,
      kind: 'status',
      upstreamStatus: 404,
      message: 'Met Collection API answered HTTP 404.',
    });
    expect((await harness.provider.getObject(436105))?.objectID).toBe(436105);
  });
});

describe('MetProvider serve-stale', () => {
  const expire = () => new Promise((resolve) => setTimeout(resolve, 5));

  it('answers an expired object record while the Met answers 5xx', async () => {
    // Given
    harness = providerWithMockMet({ enabled: true, objectTtlMs: 1, maxStaleMs: 60_000 });
    harness.met.intercept({ path: `${API}/objects/436105`, method: 'GET' }).reply(200, deathOfSocrates, json);
    harness.met
      .intercept({ path: `${API}/objects/436105`, method: 'GET' })
      .reply(503, 'down')
      .times(2);
    await harness.provider.getObject(436105);
    await expire();

    // When
    const stale = await harness.provider.getObject(436105);

    // Then
    expect(stale?.objectID).toBe(436105);
    expect(() => harness.agent.assertNoPendingInterceptors()).not.toThrow();
  });

  it('answers an expired search while the Met shows its bot wall, but not past maxStaleMs', async () => {
    // Given
    harness = providerWithMockMet({ enabled: true, searchTtlMs: 1, maxStaleMs: 200 });
    const html = { headers: { 'content-type': 'text/html' } };
    harness.met
      .intercept({ path: `${API}/search?q=cat`, method: 'GET' })
      .reply(200, { total: 1, objectIDs: [1] }, json);
    harness.met
      .intercept({ path: `${API}/search?q=cat`, method: 'GET' })
      .reply(403, '<html></html>', html)
      .times(2);
    await harness.provider.search({ q: 'cat' });
    await expire();

    // When
    const stale = await harness.provider.search({ q: 'cat' });
    await new Promise((resolve) => setTimeout(resolve, 250));

    // Then
    expect(stale.objectIDs).toEqual([1]);
    await expect(harness.provider.search({ q: 'cat' })).rejects.toMatchObject({ kind: 'bot_protection' });
  });
});
