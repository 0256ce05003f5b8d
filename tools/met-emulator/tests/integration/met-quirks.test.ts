import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { botWallHtml, createMetEmulator, type MetEmulator, notFoundHtml } from '../../src/index.js';

const api = '/public/collection/v1';
let emulator: MetEmulator;

beforeEach(async () => {
  emulator = await createMetEmulator();
});

afterEach(async () => {
  await emulator.close();
});

describe('the Met quirks the emulator reproduces', () => {
  it('answers the Met\'s own "ObjectID not found" for an object it serves otherwise (objectNotFound)', async () => {
    // Given
    emulator.faults.set('object', { objectNotFound: true, times: 1 });

    // When
    const gone = await emulator.app.inject(`${api}/objects/436535`);
    const back = await emulator.app.inject(`${api}/objects/436535`);

    // Then
    expect(gone.statusCode).toBe(404);
    expect(gone.json()).toEqual({ message: 'ObjectID not found' });
    expect(back.statusCode).toBe(200);
  });

  it('answers "Not a valid object" only for the object IDs it is limited to', async () => {
    // Given
    emulator.faults.set('object', { notValidObject: true, objectIds: [436535], times: 1 });

    // When
    const other = await emulator.app.inject(`${api}/objects/436105`);
    const listed = await emulator.app.inject(`${api}/objects/436535`);

    // Then: the other ID used none of the fault's times
    expect(other.statusCode).toBe(200);
    expect(listed.statusCode).toBe(404);
    expect(listed.json()).toEqual({ message: 'Not a valid object' });
    expect(emulator.faults.list()).toEqual({});
  });

  it('answers a 404 with an HTML page or an empty body (status with statusBody)', async () => {
    // Given
    emulator.faults.set('object', { status: 404, statusBody: 'html', times: 1 });
    const html = await emulator.app.inject(`${api}/objects/436535`);
    emulator.faults.set('object', { status: 404, statusBody: 'empty', times: 1 });

    // When
    const empty = await emulator.app.inject(`${api}/objects/436535`);

    // Then
    expect(html.statusCode).toBe(404);
    expect(html.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(html.body).toBe(notFoundHtml);
    expect(empty.statusCode).toBe(404);
    expect(empty.body).toBe('');
  });

  it('serves a public-domain record with an empty primaryImage (noImage)', async () => {
    // Given
    emulator.faults.set('object', { noImage: true });

    // When
    const record = (await emulator.app.inject(`${api}/objects/436535`)).json();

    // Then
    expect(record).toMatchObject({ objectID: 436535, isPublicDomain: true, primaryImage: '', primaryImageSmall: '' });
    expect(record.additionalImages).toEqual([]);
  });

  it('lists IDs that 404 first in a search and in the object list (phantomIds)', async () => {
    // Given
    emulator.faults.set('*', { phantomIds: [999000001, 999000002] });

    // When
    const search = (await emulator.app.inject(`${api}/search?q=sunflowers`)).json();
    const nothing = (await emulator.app.inject(`${api}/search?q=qwertyuiop`)).json();
    const objects = (await emulator.app.inject(`${api}/objects?departmentIds=11`)).json();
    const phantom = await emulator.app.inject(`${api}/objects/999000001`);

    // Then
    expect(search).toEqual({ total: 3, objectIDs: [999000001, 999000002, 436524] });
    expect(nothing).toEqual({ total: 2, objectIDs: [999000001, 999000002] });
    expect(objects.objectIDs.slice(0, 2)).toEqual([999000001, 999000002]);
    expect(phantom.statusCode).toBe(404);
  });

  it('answers the same search differently when its parameters come in another order (reorder byParamOrder)', async () => {
    // Given
    const plain = (await emulator.app.inject(`${api}/search?q=garden`)).json();
    emulator.faults.set('search', { reorder: 'byParamOrder' });

    // When
    const qFirst = (await emulator.app.inject(`${api}/search?q=garden&hasImages=true`)).json();
    const qLast = (await emulator.app.inject(`${api}/search?hasImages=true&q=garden`)).json();
    const qLastAgain = (await emulator.app.inject(`${api}/search?hasImages=true&q=garden`)).json();

    // Then
    expect(plain.objectIDs.length).toBeGreaterThan(1);
    expect(qFirst.objectIDs).toEqual(plain.objectIDs);
    expect(qLast.objectIDs).not.toEqual(qFirst.objectIDs);
    expect([...qLast.objectIDs].sort()).toEqual([...qFirst.objectIDs].sort());
    expect(qLastAgain).toEqual(qLast);
  });

  it('answers two identical searches differently (reorder perCall)', async () => {
    // Given
    emulator.faults.set('search', { reorder: 'perCall' });

    // When
    const first = (await emulator.app.inject(`${api}/search?q=garden`)).json();
    const second = (await emulator.app.inject(`${api}/search?q=garden`)).json();

    // Then
    expect(second.total).toBe(first.total);
    expect(second.objectIDs).not.toEqual(first.objectIDs);
  });

  it('refuses a fault kind combined with another, and statusBody without a status', async () => {
    // When
    const combined = await emulator.app.inject({
      method: 'PUT',
      url: '/__emulator/faults/object',
      payload: { noImage: true, notValidObject: true },
    });
    const bodyOnly = await emulator.app.inject({
      method: 'PUT',
      url: '/__emulator/faults/object',
      payload: { statusBody: 'html' },
    });

    // Then
    expect(combined.statusCode).toBe(400);
    expect(combined.json().message).toMatch(/may set only one of .*got notValidObject, noImage/);
    expect(bodyOnly.statusCode).toBe(400);
    expect(bodyOnly.json().message).toMatch(/statusBody: statusBody needs a status/);
  });
});

describe('the bot wall', () => {
  it('answers the HTML 403 page to every API route once more than maxRequests arrive within the window', async () => {
    // Given
    emulator = await (async () => {
      await emulator.close();
      return createMetEmulator({ botWall: { maxRequests: 3, windowMs: 60_000, cooldownMs: 60_000 } });
    })();

    // When
    const statuses: number[] = [];
    for (const path of ['departments', 'objects/436535', 'search?q=garden', 'departments', 'objects/436535']) {
      statuses.push((await emulator.app.inject(`${api}/${path}`)).statusCode);
    }
    const refused = await emulator.app.inject(`${api}/departments`);
    const admin = await emulator.app.inject('/__emulator/health');

    // Then
    expect(statuses).toEqual([200, 200, 200, 403, 403]);
    expect(refused.body).toBe(botWallHtml);
    expect(refused.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(admin.statusCode).toBe(200);
    expect(emulator.stats.count('departments')).toBe(3);
  });

  it('is set, shown and taken down over the admin API', async () => {
    // When
    const put = await emulator.app.inject({
      method: 'PUT',
      url: '/__emulator/bot-wall',
      payload: { maxRequests: 1, windowMs: 10_000, cooldownMs: 60_000 },
    });
    await emulator.app.inject(`${api}/departments`);
    await emulator.app.inject(`${api}/departments`);
    const shown = (await emulator.app.inject('/__emulator/bot-wall')).json();
    const deleted = await emulator.app.inject({ method: 'DELETE', url: '/__emulator/bot-wall' });
    const after = await emulator.app.inject(`${api}/departments`);
    const bad = await emulator.app.inject({ method: 'PUT', url: '/__emulator/bot-wall', payload: { maxRequests: 0 } });

    // Then
    expect(put.json()).toMatchObject({
      wall: { maxRequests: 1, windowMs: 10_000, cooldownMs: 60_000 },
      blocked: false,
    });
    expect(shown).toMatchObject({ blocked: true });
    expect(deleted.json()).toEqual({ wall: null, blocked: false, blockedUntil: 0, recentRequests: 0 });
    expect(after.statusCode).toBe(200);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toMatch(/^invalid bot wall: maxRequests:/);
  });

  it('refuses an invalid botWall option', async () => {
    await expect(createMetEmulator({ botWall: { maxRequests: 0, windowMs: 1, cooldownMs: 0 } })).rejects.toThrow(
      /invalid botWall option: maxRequests/,
    );
  });
});
