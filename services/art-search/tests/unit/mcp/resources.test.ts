import { UpstreamError } from '@mlms/service-kit';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_NOT_FOUND } from '../../../src/mcp/server.js';
import { type Connected, connectToStubbedServer, socrates } from './support.js';

describe('the art-search MCP resources, over a stub service', () => {
  let connected: Connected;
  beforeEach(async () => {
    connected = await connectToStubbedServer();
  });
  afterEach(async () => {
    await connected.close();
  });

  it('lists met://departments and the met://artworks/{objectId} template', async () => {
    // When
    const { resources } = await connected.client.listResources();
    const { resourceTemplates } = await connected.client.listResourceTemplates();

    // Then
    expect(resources).toEqual([expect.objectContaining({ uri: 'met://departments', mimeType: 'application/json' })]);
    expect(resourceTemplates).toEqual([
      expect.objectContaining({ uriTemplate: 'met://artworks/{objectId}', mimeType: 'application/json' }),
    ]);
  });

  it('reads met://departments as JSON', async () => {
    // When
    const result = await connected.client.readResource({ uri: 'met://departments' });

    // Then
    expect(result.contents).toEqual([
      {
        uri: 'met://departments',
        mimeType: 'application/json',
        text: JSON.stringify({ departments: [{ id: 11, name: 'European Paintings' }] }),
      },
    ]);
  });

  it('reads met://artworks/436105 as the JSON record', async () => {
    // When
    const result = await connected.client.readResource({ uri: 'met://artworks/436105' });

    // Then
    expect(result.contents).toEqual([
      { uri: 'met://artworks/436105', mimeType: 'application/json', text: JSON.stringify(socrates) },
    ]);
  });

  it('answers an unknown object with the resource-not-found error', async () => {
    // When / Then
    await expect(connected.client.readResource({ uri: 'met://artworks/5' })).rejects.toMatchObject({
      code: RESOURCE_NOT_FOUND,
      message: expect.stringContaining('No artwork with object ID 5.'),
    });
  });

  it.each(['met://artworks/abc', 'met://artworks/1234567890', 'met://artworks/-1'])(
    'answers %s with an invalid-params error naming the allowed IDs',
    async (uri) => {
      // When / Then
      await expect(connected.client.readResource({ uri })).rejects.toMatchObject({
        code: -32602,
        message: expect.stringContaining('must be a whole number from 0 to 999999999'),
      });
    },
  );

  it('answers a Met failure with an internal error naming the Met', async () => {
    // Given
    connected.service.failure = new UpstreamError(
      'Met Collection API',
      'status',
      'Met Collection API answered HTTP 503.',
    );

    // When / Then
    await expect(connected.client.readResource({ uri: 'met://departments' })).rejects.toMatchObject({
      code: -32603,
      message: expect.stringContaining('Met Collection API answered HTTP 503.'),
    });
    expect(connected.logged).toEqual([]);
  });

  it('logs an unexpected failure', async () => {
    // Given
    connected.service.failure = new TypeError('boom');

    // When / Then
    await expect(connected.client.readResource({ uri: 'met://artworks/1' })).rejects.toMatchObject({ code: -32603 });
    expect(connected.logged).toEqual([
      { fields: { err: connected.service.failure, resource: 'met://artworks/1' }, message: 'MCP resource read failed' },
    ]);
  });
});
