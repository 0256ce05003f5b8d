import { fileURLToPath } from 'node:url';
import { createMetEmulator, type MetEmulator } from '@mlms/met-emulator';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const tsxCli = fileURLToPath(new URL('../../../../node_modules/tsx/dist/cli.mjs', import.meta.url));
/** The `art-search-mcp` bin, from its sources (the bin itself runs the compiled dist/mcp/stdio.js). */
const stdioEntry = fileURLToPath(new URL('../../src/mcp/stdio.ts', import.meta.url));

describe('art-search over MCP, stdio (the bin as a desktop client starts it), with the Met emulator', () => {
  let emulator: MetEmulator;
  let client: Client;
  let transport: StdioClientTransport;
  let stderr = '';
  const protocolErrors: Error[] = [];

  beforeAll(async () => {
    emulator = await createMetEmulator();
    const metUrl = await emulator.listen({ host: '127.0.0.1', port: 0 });
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [tsxCli, '--conditions=source', stdioEntry],
      env: { ...(process.env as Record<string, string>), ENV: 'local', MET_API_URL: metUrl, LOG_LEVEL: 'info' },
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    client = new Client({ name: 'art-search-tests', version: '1.0.0' });
    client.onerror = (error) => protocolErrors.push(error);
    await client.connect(transport);
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    await emulator?.close();
  });

  it('lists the four tools and both resources', async () => {
    // When
    const { tools } = await client.listTools();
    const { resources } = await client.listResources();
    const { resourceTemplates } = await client.listResourceTemplates();

    // Then
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'get_artwork',
      'get_artwork_image',
      'list_departments',
      'search_artworks',
    ]);
    expect(resources.map((resource) => resource.uri)).toEqual(['met://departments']);
    expect(resourceTemplates.map((template) => template.uriTemplate)).toEqual(['met://artworks/{objectId}']);
  });

  it('searches, looks up and reads through the Met emulator', async () => {
    // When
    const search = (await client.callTool({
      name: 'search_artworks',
      arguments: { query: 'The Death of Socrates' },
    })) as CallToolResult;
    const departments = (await client.callTool({ name: 'list_departments', arguments: {} })) as CallToolResult;
    const artwork = await client.readResource({ uri: 'met://artworks/436105' });

    // Then
    expect(search.structuredContent).toMatchObject({
      artworks: [{ objectId: 436105, primaryImage: 'https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg' }],
    });
    expect(departments.isError).toBeFalsy();
    expect(JSON.parse((artwork.contents[0] as { text: string }).text)).toMatchObject({ objectId: 436105 });
  });

  it('answers bad arguments and Met failures with tool errors, and keeps the session', async () => {
    // Given
    emulator.faults.set('object', { status: 500, times: 4 });

    // When
    const bad = (await client.callTool({ name: 'get_artwork', arguments: { objectId: -1 } })) as CallToolResult;
    const failed = (await client.callTool({ name: 'get_artwork', arguments: { objectId: 10000 } })) as CallToolResult;
    emulator.faults.clear();
    const image = (await client.callTool({
      name: 'get_artwork_image',
      arguments: { objectId: 10000 },
    })) as CallToolResult;

    // Then
    expect(bad.isError).toBe(true);
    expect(failed.isError).toBe(true);
    expect(JSON.stringify(failed.content)).toContain('Met Collection API answered HTTP 500.');
    // Offline (as these tests run) the image host cannot be reached; with a network it answers the image.
    if (image.isError) expect(JSON.stringify(image.content)).toContain('no images');
    else expect(image.content[0]).toMatchObject({ type: 'image' });
    await expect(client.ping()).resolves.toBeDefined();
  }, 30_000);

  it('writes only the protocol to stdout, and its log to stderr', () => {
    expect(protocolErrors).toEqual([]);
    expect(stderr).toContain('art-search MCP server on stdio');
  });
});
