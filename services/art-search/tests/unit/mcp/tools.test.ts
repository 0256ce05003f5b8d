import { UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeFailure } from '../../../src/mcp/tools.js';
import { type Connected, connectToStubbedServer, socrates } from './support.js';

const text = (result: CallToolResult) =>
  result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

describe('the art-search MCP tools, over a stub service', () => {
  let connected: Connected;
  beforeEach(async () => {
    connected = await connectToStubbedServer();
  });
  afterEach(async () => {
    await connected.close();
  });
  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await connected.client.callTool({ name, arguments: args })) as CallToolResult;

  describe('search_artworks', () => {
    it('given a query only, when called, then searches titles, 5 from offset 0, without the image filter', async () => {
      // When
      await call('search_artworks', { query: '  Socrates  ' });

      // Then
      expect(connected.service.pageQueries).toEqual([
        { query: 'Socrates', titleOnly: true, departmentId: undefined, hasImages: false, limit: 5, offset: 0 },
      ]);
    });

    it('given every argument, when called, then passes each on to the service', async () => {
      // When
      await call('search_artworks', {
        query: 'cypresses',
        searchIn: 'anywhere',
        departmentId: 11,
        hasImages: true,
        limit: 20,
        offset: 40,
      });

      // Then
      expect(connected.service.pageQueries).toEqual([
        { query: 'cypresses', titleOnly: false, departmentId: 11, hasImages: true, limit: 20, offset: 40 },
      ]);
    });

    it('given more matches than the page, when called, then answers the records, the total and the next offset', async () => {
      // Given
      connected.service.total = 12;

      // When
      const result = await call('search_artworks', { query: 'Socrates', limit: 1, offset: 3 });

      // Then
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({
        query: 'Socrates',
        searchIn: 'title',
        total: 12,
        offset: 3,
        limit: 1,
        nextOffset: 4,
        artworks: [socrates],
      });
      expect(text(result)).toBe(
        [
          '12 artworks match "Socrates" in titles; 1 shown from offset 3:',
          `4. "The Death of Socrates" (Jacques Louis David, 1787), object 436105; European Paintings; image: ${socrates.primaryImage}`,
          'Next page: offset 4.',
        ].join('\n'),
      );
    });

    it('given the last page, when called, then nextOffset is null and the text says so', async () => {
      // When
      const result = await call('search_artworks', { query: 'Socrates', searchIn: 'anywhere' });

      // Then
      expect(result.structuredContent).toMatchObject({ total: 1, nextOffset: null });
      expect(text(result)).toContain('1 artwork match "Socrates" anywhere in the records');
      expect(text(result)).toContain('That is the last page.');
    });

    it('given no matches, when called, then answers an empty page, not an error', async () => {
      // Given
      connected.service.total = 0;
      connected.service.artworks = [];

      // When
      const result = await call('search_artworks', { query: 'zzzz' });

      // Then
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toMatchObject({ total: 0, artworks: [], nextOffset: null });
      expect(text(result)).toBe('No artworks match "zzzz" in titles.');
    });

    it('given an offset past the end, when called, then says none are left', async () => {
      // Given
      connected.service.total = 3;
      connected.service.artworks = [];

      // When
      const result = await call('search_artworks', { query: 'Socrates', offset: 10 });

      // Then
      expect(text(result)).toBe('3 artworks match "Socrates" in titles; none from offset 10.');
    });

    it.each([
      [{ query: '   ' }, 'query must not be blank'],
      [{ query: 'x'.repeat(201) }, 'query must be at most 200 characters'],
      [{ query: 7 }, 'query must be text'],
      [{ query: 'x', limit: 21 }, 'limit must be a whole number from 1 to 20'],
      [{ query: 'x', limit: 2.5 }, 'limit must be a whole number from 1 to 20'],
      [{ query: 'x', offset: 'next' }, 'offset must be a whole number, 0 or more'],
      [{ query: 'x', departmentId: -3 }, 'departmentId must be a department ID from list_departments'],
      [{ query: 'x', departmentId: 'paintings' }, 'departmentId must be a whole number'],
      [{ query: 'x', hasImages: 'yes' }, 'hasImages must be true or false'],
    ])(
      'given %j, when called, then answers a tool error saying what is allowed, without a search',
      async (args, message) => {
        // When
        const result = await call('search_artworks', args);

        // Then
        expect(result.isError).toBe(true);
        expect(text(result)).toContain(message);
        expect(connected.service.pageQueries).toEqual([]);
      },
    );
  });

  describe('get_artwork', () => {
    it('given a known object, when called, then answers its record and a summary', async () => {
      // When
      const result = await call('get_artwork', { objectId: 436105 });

      // Then
      expect(result.structuredContent).toEqual(socrates);
      expect(text(result)).toBe(
        [
          '"The Death of Socrates" (Jacques Louis David, 1787), object 436105, European Paintings.',
          `Image: ${socrates.primaryImage}`,
          `Page: ${socrates.objectUrl}`,
        ].join('\n'),
      );
    });

    it('given a record without artist, date, image or page, when called, then the summary says so', async () => {
      // Given
      connected.service.artworks = [
        {
          ...socrates,
          objectId: 1,
          artist: null,
          objectDate: null,
          department: '',
          primaryImage: null,
          objectUrl: null,
        },
      ];

      // When
      const result = await call('get_artwork', { objectId: 1 });

      // Then
      expect(text(result)).toBe(
        '"The Death of Socrates", object 1, no department.\nImage: none (no open-access image)',
      );
    });

    it.each([[-1], [1_000_000_000], [1.5], ['436105'], [null]])(
      'given objectId %j, when called, then answers a tool error naming the allowed IDs',
      async (objectId) => {
        // When
        const result = await call('get_artwork', { objectId });

        // Then
        expect(result.isError).toBe(true);
        expect(text(result)).toContain('objectId must be a Met object ID, a whole number from 0 to 999999999');
      },
    );

    it('given an unknown object, when called, then answers a tool error saying there is none', async () => {
      // When
      const result = await call('get_artwork', { objectId: 5 });

      // Then
      expect(result).toMatchObject({
        isError: true,
        content: [{ type: 'text', text: 'No artwork with object ID 5.' }],
      });
      expect(connected.logged).toEqual([]);
    });
  });

  describe('list_departments', () => {
    it('answers the departments as records and as lines', async () => {
      // When
      const result = await call('list_departments');

      // Then
      expect(result.structuredContent).toEqual({ departments: [{ id: 11, name: 'European Paintings' }] });
      expect(text(result)).toBe("1 departments (id: name), for search_artworks' departmentId:\n11: European Paintings");
    });
  });

  describe('get_artwork_image', () => {
    it('given an artwork with an image, when called, then answers the small image as image content', async () => {
      // When
      const result = await call('get_artwork_image', { objectId: 436105 });

      // Then
      expect(connected.images.urls).toEqual([socrates.primaryImageSmall]);
      expect(result.content[0]).toEqual({
        type: 'image',
        data: Buffer.from([0xff, 0xd8, 0xff]).toString('base64'),
        mimeType: 'image/jpeg',
      });
      expect(result.structuredContent).toEqual({
        objectId: 436105,
        title: 'The Death of Socrates',
        size: 'small',
        url: socrates.primaryImageSmall,
        mimeType: 'image/jpeg',
        bytes: 3,
      });
      expect(text(result)).toContain('Web-size image of "The Death of Socrates"');
    });

    it('given size full, when called, then fetches the original', async () => {
      // When
      const result = await call('get_artwork_image', { objectId: 436105, size: 'full' });

      // Then
      expect(connected.images.urls).toEqual([socrates.primaryImage]);
      expect(text(result)).toContain('Full-size image');
    });

    it('given an artwork with only a full-size image, when asking for small, then sends the full-size one', async () => {
      // Given
      connected.service.artworks = [{ ...socrates, primaryImageSmall: null }];

      // When
      await call('get_artwork_image', { objectId: 436105 });

      // Then
      expect(connected.images.urls).toEqual([socrates.primaryImage]);
    });

    it('given an artwork without an image, when called, then answers a tool error saying so, without a fetch', async () => {
      // Given
      connected.service.artworks = [{ ...socrates, primaryImage: null, primaryImageSmall: null }];

      // When
      const result = await call('get_artwork_image', { objectId: 436105 });

      // Then
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('"The Death of Socrates" (object 436105) has no open-access image');
      expect(connected.images.urls).toEqual([]);
    });

    it('given the image host cannot be reached, when called, then answers a tool error with the URL and the offline hint', async () => {
      // Given
      connected.images.failure = new UpstreamError(
        'images.metmuseum.org',
        'connection',
        'The image host images.metmuseum.org could not be reached (ENOTFOUND).',
      );

      // When
      const result = await call('get_artwork_image', { objectId: 436105 });

      // Then
      expect(result.isError).toBe(true);
      expect(text(result)).toBe(
        'The image host images.metmuseum.org could not be reached (ENOTFOUND). ' +
          `The image URL is ${socrates.primaryImageSmall}. (Offline, the Met emulator serves records but no images.)`,
      );
    });

    it('given a bad size, when called, then answers a tool error naming the sizes', async () => {
      // When
      const result = await call('get_artwork_image', { objectId: 436105, size: 'huge' });

      // Then
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('size must be "small" (web size, default) or "full"');
    });

    it('given the image source fails unexpectedly, when called, then answers a generic tool error and logs it', async () => {
      // Given
      connected.images.failure = new TypeError('boom');

      // When
      const result = await call('get_artwork_image', { objectId: 436105 });

      // Then
      expect(result.isError).toBe(true);
      expect(text(result)).toContain('art-search failed unexpectedly');
      expect(connected.logged).toEqual([
        { fields: { err: connected.images.failure, tool: 'get_artwork_image' }, message: 'MCP tool failed' },
      ]);
    });
  });

  describe('when the Met fails', () => {
    it.each(['search_artworks', 'get_artwork', 'list_departments', 'get_artwork_image'])(
      '%s answers a tool error naming the Met, and the session goes on',
      async (tool) => {
        // Given
        connected.service.failure = new UpstreamError(
          'Met Collection API',
          'status',
          'Met Collection API answered HTTP 503.',
        );

        // When
        const result = await call(tool, { query: 'x', objectId: 1 });

        // Then
        expect(result.isError).toBe(true);
        expect(text(result)).toBe(
          "Met Collection API answered HTTP 503. This is a failure of the Met's service, not of the request; try again later.",
        );
        expect(connected.logged).toEqual([]);
        await expect(connected.client.ping()).resolves.toBeDefined();
      },
    );
  });
});

describe('describeFailure', () => {
  it('says a timeout may pass', () => {
    expect(describeFailure(new UpstreamTimeoutError('Met Collection API', 5000))).toBe(
      'Met Collection API did not answer within 5000 ms. Try again in a moment.',
    );
  });
});
