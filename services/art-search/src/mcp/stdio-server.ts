import type { Readable, Writable } from 'node:stream';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { buildSearchLayer, SERVICE_VERSION } from '../app.js';
import { loadArtSearchConfig } from '../config/settings.js';
import { createArtSearchMcpServer, type McpLogger } from './server.js';

export interface StdioServerOptions {
  /** Environment variables for the configuration (ENV, MET_API_URL, LOG_LEVEL...). */
  env: Record<string, string | undefined>;
  stdin: Readable;
  /** Carries the protocol and nothing else. */
  stdout: Writable;
  /** Every log line goes here. */
  stderr: Writable;
}

export interface RunningStdioServer {
  /** Ends the session and releases the Met client (idempotent). */
  close(): Promise<void>;
  /** Settles once the server has closed, by `close()` or because the client closed stdin. */
  closed: Promise<void>;
}

const LEVELS: Record<string, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: 100 };

/** One JSON line per message, in pino's shape, so the stdio server logs like the HTTP one. */
export function jsonLineLogger(
  stream: Writable,
  level: string,
): McpLogger & { info(fields: object, message: string): void } {
  const threshold = LEVELS[level] ?? LEVELS.info;
  const write = (levelNumber: number, fields: object, message: string) => {
    if (levelNumber < (threshold as number)) return;
    const { err, ...rest } = fields as { err?: unknown };
    const error = err instanceof Error ? { err: { type: err.name, message: err.message, stack: err.stack } } : {};
    const line = { level: levelNumber, time: Date.now(), name: 'art-search-mcp', ...rest, ...error, msg: message };
    stream.write(`${JSON.stringify(line)}\n`);
  };
  return {
    error: (fields, message) => write(50, fields, message),
    info: (fields, message) => write(30, fields, message),
  };
}

/**
 * art-search over MCP's stdio transport, for desktop clients that start their servers as child processes: the same
 * search layer as the HTTP server (one Met client, cache and request budget per process), with its configuration.
 *
 * @throws ConfigError when the configuration is invalid.
 */
export async function startStdioServer(options: StdioServerOptions): Promise<RunningStdioServer> {
  const config = loadArtSearchConfig(options.env);
  const log = jsonLineLogger(options.stderr, config.logLevel);
  const layer = buildSearchLayer(config);
  const server = createArtSearchMcpServer({ service: layer.service, images: layer.images, log }, SERVICE_VERSION);
  const transport = new StdioServerTransport(options.stdin, options.stdout);
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await server.close();
      await layer.resources.closeAll(log);
      log.info({}, 'art-search MCP server closed');
    })();
    return closing;
  };
  // The client ends the session by closing our stdin.
  options.stdin.on('end', () => void close());
  await server.connect(transport);
  log.info(
    { env: config.env, met: config.met.url },
    `art-search MCP server on stdio (ENV=${config.env}), Met API at ${config.met.url}`,
  );
  return {
    close,
    closed: new Promise((resolve) => {
      const previous = transport.onclose;
      transport.onclose = () => {
        previous?.();
        void close().then(resolve);
      };
    }),
  };
}
