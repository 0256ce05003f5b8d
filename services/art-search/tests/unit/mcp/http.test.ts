import { createServiceApp, type ServiceApp } from '@mlms/service-kit';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { registerMcpRoutes } from '../../../src/mcp/http.js';
import { testConfig } from '../../support/config.js';

const initialize = {
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
};
const mcpHeaders = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

describe('POST /mcp', () => {
  let app: ServiceApp | undefined;
  afterEach(async () => {
    await app?.close();
  });

  it('given the MCP server fails to start, when called, then answers a JSON-RPC internal error with 500', async () => {
    // Given
    app = await createServiceApp({
      name: 'mcp-test',
      config: testConfig(),
      openApi: { title: 'MCP test', version: '0.0.0', description: 'MCP test', tags: [] },
    });
    const broken = {
      connect: async () => {
        throw new Error('cannot connect');
      },
      close: async () => undefined,
    } as unknown as McpServer;
    await registerMcpRoutes(app, { createServer: () => broken });

    // When
    const response = await app.inject({ method: 'POST', url: '/mcp', headers: mcpHeaders, payload: initialize });

    // Then
    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ jsonrpc: '2.0', error: { code: -32603, message: 'Internal error' }, id: null });
    expect(response.headers['x-request-id']).toBeDefined();
  });
});
