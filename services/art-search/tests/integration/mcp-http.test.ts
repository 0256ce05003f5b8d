import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../support/stack.js';

const text = (result: CallToolResult) =>
  result.content.map((part) => (part.type === 'text' ? part.text : '')).join('\n');

describe('art-search over MCP, Streamable HTTP at /mcp, with the Met emulator', () => {
  let stack: RunningStack;
  let client: Client;
  beforeAll(async () => {
    stack = await startStack({ cacheEnabled: true });
  });
  afterAll(async () => {
    await stack.close();
  });
  beforeEach(async () => {
    stack.emulator.faults.clear();
    stack.emulator.stats.reset();
    client = new Client({ name: 'art-search-tests', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`)));
  });
  afterEach(async () => {
    await client.close();
  });

  const call = async (name: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;

  it('lists the four tools, each with an input and an output schema', async () => {
    // When
    const { tools } = await client.listTools();

    // Then
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'get_artwork',
      'get_artwork_image',
      'list_departments',
      'search_artworks',
    ]);
    for (const tool of tools) {
      expect(tool.description?.length).toBeGreaterThan(40);
      expect(tool.outputSchema?.type).toBe('object');
    }
    const search = tools.find((tool) => tool.name === 'search_artworks');
    expect(search?.inputSchema.required).toEqual(['query']);
  });

  it('search_artworks for "The Death of Socrates" answers its filled-in record with the image URL', async () => {
    // When
    const result = await call('search_artworks', { query: 'The Death of Socrates' });

    // Then
    expect(result.isError).toBeFalsy();
    const page = result.structuredContent as { total: number; artworks: { objectId: number; primaryImage: string }[] };
    expect(page.total).toBeGreaterThanOrEqual(1);
    expect(page.artworks[0]).toMatchObject({
      objectId: 436105,
      title: 'The Death of Socrates',
      artist: 'Jacques Louis David',
      primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg',
    });
    expect(text(result)).toContain('"The Death of Socrates" (Jacques Louis David, 1787), object 436105');
  });

  it('pages through a search with limit and offset, and the pages join up', async () => {
    // Given
    const all = (await call('search_artworks', { query: 'the', searchIn: 'anywhere', limit: 20 }))
      .structuredContent as {
      total: number;
      artworks: { objectId: number }[];
    };
    expect(all.total).toBeGreaterThan(4);

    // When
    const first = (await call('search_artworks', { query: 'the', searchIn: 'anywhere', limit: 2 })).structuredContent;
    const second = (await call('search_artworks', { query: 'the', searchIn: 'anywhere', limit: 2, offset: 2 }))
      .structuredContent;

    // Then
    const ids = (page: unknown) => (page as { artworks: { objectId: number }[] }).artworks.map((a) => a.objectId);
    expect([...ids(first), ...ids(second)]).toEqual(ids(all).slice(0, 4));
    expect(first).toMatchObject({ offset: 0, limit: 2, nextOffset: 2, total: all.total });
    expect(second).toMatchObject({ offset: 2, nextOffset: 4 });
  });

  it('filters a search by department', async () => {
    // When
    const result = await call('search_artworks', { query: 'the', searchIn: 'anywhere', departmentId: 11, limit: 20 });

    // Then
    const page = result.structuredContent as { artworks: { department: string }[] };
    expect(page.artworks.length).toBeGreaterThan(0);
    expect(new Set(page.artworks.map((artwork) => artwork.department))).toEqual(new Set(['European Paintings']));
  });

  it('get_artwork answers the record; list_departments the departments', async () => {
    // When
    const artwork = await call('get_artwork', { objectId: 436105 });
    const departments = await call('list_departments');

    // Then
    expect(artwork.structuredContent).toMatchObject({ objectId: 436105, objectDate: '1787' });
    const list = (departments.structuredContent as { departments: { id: number; name: string }[] }).departments;
    expect(list).toContainEqual({ id: 11, name: 'European Paintings' });
    expect(text(departments)).toContain('11: European Paintings');
  });

  it('get_artwork_image answers the image, or offline a tool error naming the image host; the session goes on', async () => {
    // When
    const image = await call('get_artwork_image', { objectId: 436105 });
    const after = await call('get_artwork', { objectId: 436105 });

    // Then: these tests run offline, where the image host cannot be reached; with a network it answers the image.
    if (image.isError) {
      expect(text(image)).toContain('The image host images.metmuseum.org');
      expect(text(image)).toContain('the Met emulator serves records but no images');
    } else {
      expect(image.content[0]).toMatchObject({ type: 'image', mimeType: 'image/jpeg' });
    }
    expect(after.isError).toBeFalsy();
  }, 30_000);

  it('reads met://departments and met://artworks/{objectId}, and lists the template', async () => {
    // When
    const { resources } = await client.listResources();
    const { resourceTemplates } = await client.listResourceTemplates();
    const departments = await client.readResource({ uri: 'met://departments' });
    const artwork = await client.readResource({ uri: 'met://artworks/436105' });

    // Then
    expect(resources.map((resource) => resource.uri)).toEqual(['met://departments']);
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(['met://artworks/{objectId}']);
    const departmentsText = departments.contents[0] as { text: string; mimeType: string };
    expect(departmentsText.mimeType).toBe('application/json');
    expect(JSON.parse(departmentsText.text).departments).toContainEqual({ id: 11, name: 'European Paintings' });
    expect(JSON.parse((artwork.contents[0] as { text: string }).text)).toMatchObject({
      objectId: 436105,
      title: 'The Death of Socrates',
    });
  });

  it('a resource the Met does not have, or a malformed one, is a JSON-RPC error, not a crash', async () => {
    // When / Then
    await expect(client.readResource({ uri: 'met://artworks/999999999' })).rejects.toThrow(
      /No artwork with object ID 999999999/,
    );
    await expect(client.readResource({ uri: 'met://artworks/abc' })).rejects.toThrow(/whole number/);
    expect((await call('list_departments')).isError).toBeFalsy();
  });

  it.each([
    [{ query: '' }, 'query must not be blank'],
    [{ query: 'x', limit: 50 }, 'limit must be a whole number from 1 to 20'],
    [{ query: 'x', limit: 0 }, 'limit must be a whole number from 1 to 20'],
    [{ query: 'x', offset: -1 }, 'offset must be a whole number, 0 or more'],
    [{ query: 'x', searchIn: 'everywhere' }, 'searchIn must be "title" or "anywhere"'],
    [{}, 'query must be text'],
  ])('search_artworks with bad arguments %j answers a tool error saying what is allowed', async (args, message) => {
    // When
    const result = await call('search_artworks', args);

    // Then
    expect(result.isError).toBe(true);
    expect(text(result)).toContain(message);
    expect(stack.emulator.stats.snapshot().total).toBe(0);
  });

  it('get_artwork with a bad or unknown object ID answers a tool error', async () => {
    // When
    const bad = await call('get_artwork', { objectId: 'Socrates' });
    const unknown = await call('get_artwork', { objectId: 999999999 });
    const noImage = await call('get_artwork_image', { objectId: 10 });

    // Then
    expect(bad.isError).toBe(true);
    expect(text(bad)).toContain('objectId must be a Met object ID, a whole number from 0 to 999999999');
    expect(unknown.isError).toBe(true);
    expect(text(unknown)).toContain('No artwork with object ID 999999999.');
    expect(noImage.isError).toBe(true);
    expect(text(noImage)).toContain('has no open-access image');
  });

  it('a Met failure injected in the emulator answers a tool error naming the Met, and the next call succeeds', async () => {
    // Given
    stack.emulator.faults.set('search', { status: 503, times: 2 });

    // When
    const failed = await call('search_artworks', { query: 'Wheat Field' });
    const retried = await call('search_artworks', { query: 'Wheat Field' });

    // Then
    expect(failed.isError).toBe(true);
    expect(text(failed)).toContain('Met Collection API answered HTTP 503.');
    expect(retried.isError).toBeFalsy();
  });

  it('the Met bot wall answers a tool error saying the Met refused', async () => {
    // Given
    stack.emulator.faults.set('object', { html403: true, times: 1 });

    // When
    const result = await call('get_artwork', { objectId: 437984 });

    // Then
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Met Collection API refused/);
  });

  it('logs MCP requests in the request log and counts them in the metrics, like every route', async () => {
    // When
    await call('list_departments');
    const metrics = await stack.get('/metrics');

    // Then
    expect(metrics.body).toMatch(/route="\/mcp"/);
  });

  it('answers GET and DELETE with 405 (stateless) and a body that is not JSON with a JSON-RPC parse error', async () => {
    // When
    const get = await fetch(`${stack.url}/mcp`, { headers: { accept: 'text/event-stream' } });
    const del = await fetch(`${stack.url}/mcp`, { method: 'DELETE' });
    const broken = await fetch(`${stack.url}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{not json',
    });

    // Then
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect(del.status).toBe(405);
    expect(broken.status).toBe(400);
    expect(await broken.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 } });
  });
});

describe('art-search over MCP and REST together', () => {
  it('share one cache: the same object over REST then MCP (HTTP) is one call to the Met', async () => {
    // Given
    const stack = await startStack({ cacheEnabled: true });
    const client = new Client({ name: 'art-search-tests', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(new URL(`${stack.url}/mcp`)));

      // When
      const rest = await stack.get('/api/v1/artworks/436105');
      const mcp = (await client.callTool({ name: 'get_artwork', arguments: { objectId: 436105 } })) as CallToolResult;
      const resource = await client.readResource({ uri: 'met://artworks/436105' });

      // Then
      expect(rest.status).toBe(200);
      expect(mcp.isError).toBeFalsy();
      expect(resource.contents).toHaveLength(1);
      expect(stack.emulator.stats.count('object')).toBe(1);
    } finally {
      await client.close();
      await stack.close();
    }
  });
});
