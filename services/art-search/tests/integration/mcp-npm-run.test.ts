import { fileURLToPath } from 'node:url';
import { createMetEmulator, type MetEmulator } from '@mlms/met-emulator';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** What the SDK's stdio client reports for a stdout line that is not JSON-RPC: npm's `> mcp` banner or a blank line. */
const BANNER_LINE = /Unexpected end of JSON input|Unexpected token '>'/;

/**
 * `npm run mcp` started as a desktop client starts it: `npm` from the repository root, with only the client's
 * environment (the SDK passes HOME, PATH... and the configured variables, not this test's npm_* variables).
 */
async function connectThroughNpm(metUrl: string, npmArgs: string[]) {
  const transport = new StdioClientTransport({
    command: npm,
    args: npmArgs,
    cwd: repoRoot,
    env: { ENV: 'local', MET_API_URL: metUrl },
    stderr: 'pipe',
  });
  const protocolErrors: Error[] = [];
  const client = new Client({ name: 'art-search-tests', version: '1.0.0' });
  client.onerror = (error) => protocolErrors.push(error);
  await client.connect(transport);
  return { client, protocolErrors };
}

async function listAndSearch(client: Client) {
  const { tools } = await client.listTools();
  const search = (await client.callTool({
    name: 'search_artworks',
    arguments: { query: 'The Death of Socrates' },
  })) as CallToolResult;
  return { toolNames: tools.map((tool) => tool.name).sort(), search };
}

describe('npm run mcp, spawned by the SDK stdio client as a desktop client would, with the Met emulator', () => {
  let emulator: MetEmulator;
  let metUrl: string;

  beforeAll(async () => {
    emulator = await createMetEmulator();
    metUrl = await emulator.listen({ host: '127.0.0.1', port: 0 });
  });

  afterAll(async () => {
    await emulator?.close();
  });

  it('plain `npm run mcp` serves the tools; npm banner lines on stdout are reported and skipped', async () => {
    // Given
    const { client, protocolErrors } = await connectThroughNpm(metUrl, ['run', 'mcp']);

    try {
      // When
      const { toolNames, search } = await listAndSearch(client);

      // Then
      expect(toolNames).toEqual(['get_artwork', 'get_artwork_image', 'list_departments', 'search_artworks']);
      expect(search.structuredContent).toMatchObject({ total: 1, artworks: [{ objectId: 436105 }] });
      // The client's read buffer reports each non-JSON line through onerror and goes on with the next one;
      // nothing but npm's banner (`> mcp`, `> tsx …` and blank lines) reaches it.
      for (const error of protocolErrors) expect(error.message).toMatch(BANNER_LINE);
    } finally {
      await client.close();
    }
  }, 30_000);

  it('`npm run -s mcp` (as the README configures it) writes nothing but the protocol to stdout', async () => {
    // Given
    const { client, protocolErrors } = await connectThroughNpm(metUrl, ['run', '-s', 'mcp']);

    try {
      // When
      const { toolNames, search } = await listAndSearch(client);

      // Then
      expect(toolNames).toHaveLength(4);
      expect(search.structuredContent).toMatchObject({ total: 1, artworks: [{ objectId: 436105 }] });
      expect(protocolErrors).toEqual([]);
    } finally {
      await client.close();
    }
  }, 30_000);
});
