import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Connected, connectToStubbedServer } from '../unit/mcp/support.js';

const tools = ['search_artworks', 'get_artwork', 'list_departments', 'get_artwork_image'] as const;

/** Arguments an assistant might send: the right names with any JSON values, and names of its own. */
const argumentsArbitrary = fc.dictionary(
  fc.oneof(
    fc.constantFrom('query', 'searchIn', 'departmentId', 'hasImages', 'limit', 'offset', 'objectId', 'size'),
    fc.string(),
  ),
  fc.jsonValue(),
  { maxKeys: 6 },
);

describe('MCP tool arguments (property)', () => {
  let connected: Connected;
  beforeAll(async () => {
    connected = await connectToStubbedServer();
  });
  afterAll(async () => {
    await connected.close();
  });

  it('any arguments to any tool answer a result (a tool error when they are bad), and the session goes on', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...tools), argumentsArbitrary, async (name, args) => {
        const result = (await connected.client.callTool({ name, arguments: args })) as CallToolResult;
        expect(Array.isArray(result.content)).toBe(true);
        if (result.isError) expect(result.content[0]).toMatchObject({ type: 'text', text: expect.any(String) });
        else expect(result.structuredContent).toBeDefined();
      }),
      { numRuns: 300 },
    );
    await expect(connected.client.ping()).resolves.toBeDefined();
    expect(connected.logged).toEqual([]);
  });
});
