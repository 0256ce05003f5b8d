#!/usr/bin/env node
import { ConfigError } from '@mlms/service-kit';
import { startStdioServer } from './stdio-server.js';

/**
 * Process entry of art-search over MCP's stdio transport (`npm run mcp`, the `art-search-mcp` bin). stdout carries
 * the protocol and nothing else; logs and start-up errors go to stderr, which MCP clients show as the server's log.
 */
try {
  const running = await startStdioServer({
    env: process.env,
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => void running.close());
  await running.closed;
  process.exit(0);
} catch (error) {
  process.stderr.write(`art-search-mcp: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(error instanceof ConfigError ? 78 : 1);
}
