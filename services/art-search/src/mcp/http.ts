import type { ServiceApp } from '@mlms/service-kit';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export const MCP_PATH = '/mcp';

export interface McpHttpOptions {
  /** Builds a server for one request; every server built shares the one service layer below it. */
  createServer: () => McpServer;
}

/** A body that is not JSON, handed on so that the route answers JSON-RPC's own parse error. */
const NOT_JSON = Symbol('not JSON');

/**
 * MCP's Streamable HTTP transport at `/mcp` on art-search's own Fastify server, so it has the same port, config,
 * metrics and request log as the REST API.
 *
 * Stateless: every POST gets a fresh MCP server and transport, answers with plain JSON, and forgets them. The tools
 * and resources are reads with no per-client state (the state that matters, the cache and the Met budget, is
 * shared below), so sessions would buy nothing and cost memory, expiry and sticky routing between replicas. GET
 * (a server-to-client event stream) and DELETE (ending a session) therefore answer 405.
 */
export async function registerMcpRoutes(app: ServiceApp, options: McpHttpOptions): Promise<void> {
  await app.register(async (mcp) => {
    // JSON-RPC clients expect a JSON-RPC parse error for a body that is not JSON, not the REST API's 400.
    mcp.removeContentTypeParser('application/json');
    mcp.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(null, NOT_JSON);
      }
    });

    mcp.post(MCP_PATH, { schema: { hide: true } }, async (request, reply) => {
      if (request.body === NOT_JSON) {
        return reply.code(400).send(jsonRpcError(-32700, 'Parse error: the body is not valid JSON.'));
      }
      request.logFields = { ...request.logFields, ...describeCall(request.body) };
      const server = options.createServer();
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      // The transport writes the raw response itself; headers Fastify holds (the request ID) go along.
      for (const [name, value] of Object.entries(reply.getHeaders())) {
        if (value !== undefined) reply.raw.setHeader(name, value);
      }
      reply.hijack();
      reply.raw.on('close', () => {
        void transport.close();
        void server.close();
      });
      try {
        await server.connect(transport);
        await transport.handleRequest(request.raw, reply.raw, request.body);
      } catch (error) {
        request.log.error({ err: error }, 'MCP request failed');
        if (!reply.raw.headersSent) {
          reply.raw.writeHead(500, { 'content-type': 'application/json' });
          reply.raw.end(JSON.stringify(jsonRpcError(-32603, 'Internal error')));
        } else {
          reply.raw.end();
        }
      }
    });

    mcp.route({
      method: ['GET', 'DELETE'],
      url: MCP_PATH,
      schema: { hide: true },
      handler: async (_request, reply) =>
        reply
          .code(405)
          .header('allow', 'POST')
          .send(jsonRpcError(-32000, 'Method not allowed: this MCP server is stateless; send requests with POST.')),
    });
  });
}

function jsonRpcError(code: number, message: string) {
  return { jsonrpc: '2.0', error: { code, message }, id: null };
}

/** The JSON-RPC method (and tool or resource) of a request, for its line in the request log. */
function describeCall(body: unknown): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return {};
  const { method, params } = body as { method?: unknown; params?: { name?: unknown; uri?: unknown } };
  return {
    ...(typeof method === 'string' ? { mcpMethod: method } : {}),
    ...(typeof params?.name === 'string' ? { mcpTool: params.name } : {}),
    ...(typeof params?.uri === 'string' ? { mcpResource: params.uri } : {}),
  };
}
