import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetEmulator, type MetEmulator, sampleObjects } from '../../src/index.js';

const api = '/public/collection/v1';
let emulator: MetEmulator;

beforeAll(async () => {
  emulator = await createMetEmulator();
});

afterAll(async () => {
  await emulator.close();
});

describe('GET /objects', () => {
  it('lists every object ID when unfiltered', async () => {
    // Given the emulator
    // When all objects are listed
    const response = await emulator.app.inject(`${api}/objects`);

    // Then every bundled ID comes back as JSON
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.json()).toEqual({
      total: sampleObjects.length,
      objectIDs: sampleObjects.map((record) => record.objectID),
    });
  });

  it('keeps objects whose metadataDate is after the given date', async () => {
    // Given a date late in the recorded data
    // When filtering on it
    const response = await emulator.app.inject(`${api}/objects?metadataDate=2023-01-01`);

    // Then only the records updated after 2023-01-01 remain
    expect(response.json()).toEqual({ total: 4, objectIDs: [437133, 438003, 438101, 459123] });
  });

  it('keeps objects in any of the departmentIds joined with |', async () => {
    // Given two departments (Egyptian Art and Modern Art)
    // When filtering on both
    const response = await emulator.app.inject(`${api}/objects?departmentIds=10|21`);

    // Then their objects come back
    expect(response.json()).toEqual({ total: 3, objectIDs: [485938, 544227, 544448] });
  });

  it.each([
    ['metadataDate=2023-13-45', /metadataDate must be a real calendar date/],
    ['metadataDate=yesterday', /metadataDate must be a date written YYYY-MM-DD/],
    ['departmentIds=1,3', /departmentIds must be department IDs joined with "\|"/],
  ])('rejects %s with 400 and a message naming the parameter', async (query, message) => {
    // Given a malformed parameter
    // When listing objects
    const response = await emulator.app.inject(`${api}/objects?${query}`);

    // Then it is refused with a clear message
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
  });
});

describe('GET /objects/:objectID', () => {
  it('returns the full record in the Met shape', async () => {
    // Given a reference object ID
    // When it is fetched
    const response = await emulator.app.inject(`${api}/objects/436105`);

    // Then the record comes back with the Met's odd casing intact
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    const body = response.json();
    expect(body).toMatchObject({
      objectID: 436105,
      title: 'The Death of Socrates',
      primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg',
    });
    expect(Object.keys(body)).toEqual(
      expect.arrayContaining(['GalleryNumber', 'artistULAN_URL', 'objectWikidata_URL']),
    );
  });

  it.each(['999999999', 'abc', '-5', '1.5'])('answers 404 {"message":"ObjectID not found"} for %s', async (id) => {
    // Given an unknown or non-numeric ID
    // When it is fetched
    const response = await emulator.app.inject(`${api}/objects/${id}`);

    // Then the body is exactly the real API's
    expect(response.statusCode).toBe(404);
    expect(response.body).toBe('{"message":"ObjectID not found"}');
  });
});

describe('GET /departments', () => {
  it('lists the 19 departments', async () => {
    // Given the emulator
    // When departments are listed
    const response = await emulator.app.inject(`${api}/departments`);

    // Then the real list comes back
    const { departments } = response.json() as { departments: { departmentId: number; displayName: string }[] };
    expect(departments).toHaveLength(19);
    expect(departments[0]).toEqual({ departmentId: 1, displayName: 'American Decorative Arts' });
  });
});

describe('GET /search', () => {
  it.each([
    ['q=garden&title=true', { total: 3, objectIDs: [437133, 436965, 438003] }],
    ['q=garden&title=true&hasImages=true', { total: 3, objectIDs: [437133, 436965, 438003] }],
    ['q=sunflowers', { total: 1, objectIDs: [436524] }],
    ['q=zzzz', { total: 0, objectIDs: null }],
    ['q=van%20gogh&departmentId=15', { total: 1, objectIDs: [459123] }],
    ['q=van%20gogh&isHighlight=true', { total: 2, objectIDs: [436535, 459123] }],
    ['q=van%20gogh&isOnView=true', { total: 2, objectIDs: [436533, 459123] }],
    ['q=japan&artistOrCulture=true', { total: 3, objectIDs: [56353, 65398, 843269] }],
    ['q=Portraits&tags=true', { total: 2, objectIDs: [436286, 459123] }],
    ['q=samson&medium=Paintings|Sculpture', { total: 1, objectIDs: [203933] }],
    ['q=shahnama&geoLocation=France|Iran', { total: 2, objectIDs: [452641, 452655] }],
    ['q=van%20gogh&dateBegin=1888&dateEnd=1888', { total: 2, objectIDs: [436533, 459123] }],
    ['q=van%20gogh&isHighlight=false', { total: 10, objectIDs: expect.any(Array) }],
  ])('answers %s', async (query, expected) => {
    // Given a search query string
    // When it is sent
    const response = await emulator.app.inject(`${api}/search?${query}`);

    // Then the IDs come back in relevance order
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(response.json()).toEqual(expected);
  });

  it('returns the no-match body byte for byte', async () => {
    // Given a query that matches nothing
    // When it is sent
    const response = await emulator.app.inject(`${api}/search?q=zzzz`);

    // Then the body is exactly the real API's
    expect(response.body).toBe('{"total":0,"objectIDs":null}');
  });

  it.each([
    ['', /q is required/],
    ['q=', /q must not be empty/],
    ['q=x&hasImages=yes', /hasImages must be "true" or "false"/],
    ['q=x&departmentId=eleven', /departmentId must be an integer/],
    ['q=x&dateBegin=1800', /dateBegin and dateEnd must be given together/],
  ])('rejects "%s" with 400 and a message naming the parameter', async (query, message) => {
    // Given an invalid search
    // When it is sent
    const response = await emulator.app.inject(`${api}/search?${query}`);

    // Then it is refused with a clear JSON message
    expect(response.statusCode).toBe(400);
    expect(response.json().message).toMatch(message);
  });
});
