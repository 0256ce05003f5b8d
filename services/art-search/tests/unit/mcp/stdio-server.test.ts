import { PassThrough } from 'node:stream';
import { ConfigError } from '@mlms/service-kit';
import { describe, expect, it } from 'vitest';
import { jsonLineLogger, startStdioServer } from '../../../src/mcp/stdio-server.js';

/** The server's stdio as streams a test writes to and reads from, line by line. */
function pipes() {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const lines = () => out.split('\n').filter((line) => line !== '');
  const send = (message: object) => stdin.write(`${JSON.stringify(message)}\n`);
  const answer = async (id: number) => {
    for (let waited = 0; waited < 5000; waited += 10) {
      const found = lines()
        .map((line) => JSON.parse(line) as { id?: number })
        .find((message) => message.id === id);
      if (found) return found;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`no answer to ${id}: ${out}`);
  };
  return { stdin, stdout, stderr, lines, send, answer, stderrText: () => err };
}

const env = { ENV: 'local', MET_API_URL: 'http://127.0.0.1:9', LOG_PRETTY: 'false', LOG_LEVEL: 'info' };

describe('startStdioServer', () => {
  it('answers MCP on stdout, logs on stderr only, and closes when the client closes stdin', async () => {
    // Given
    const io = pipes();
    const running = await startStdioServer({ env, ...io });

    // When
    io.send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    });
    const initialized = await io.answer(1);
    io.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    io.send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
    const tools = (await io.answer(2)) as { result: { tools: { name: string }[] } };
    io.stdin.end();
    await running.closed;

    // Then
    expect(initialized).toMatchObject({ result: { serverInfo: { name: 'art-search', version: '0.1.0' } } });
    expect(tools.result.tools.map((tool) => tool.name)).toHaveLength(4);
    expect(io.lines().every((line) => (JSON.parse(line) as { jsonrpc: string }).jsonrpc === '2.0')).toBe(true);
    expect(io.stderrText()).toContain(
      '"msg":"art-search MCP server on stdio (ENV=local), Met API at http://127.0.0.1:9"',
    );
    expect(io.stderrText()).toContain('art-search MCP server closed');
  });

  it('closes on request, once however often it is asked', async () => {
    // Given
    const io = pipes();
    const running = await startStdioServer({ env: { ...env, LOG_LEVEL: 'silent' }, ...io });

    // When
    await Promise.all([running.close(), running.close()]);
    await running.closed;

    // Then
    expect(io.stderrText()).toBe('');
    expect(io.lines()).toEqual([]);
  });

  it('refuses an invalid configuration with a ConfigError, writing nothing to stdout', async () => {
    // Given
    const io = pipes();

    // When / Then
    await expect(startStdioServer({ env: { ...env, ENV: 'staging' }, ...io })).rejects.toBeInstanceOf(ConfigError);
    expect(io.lines()).toEqual([]);
  });
});

describe('jsonLineLogger', () => {
  it('writes errors with their stack, and drops lines below its level', () => {
    // Given
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const log = jsonLineLogger(stream, 'error');

    // When
    log.info({}, 'hidden');
    log.error({ err: new TypeError('boom'), tool: 'get_artwork' }, 'MCP tool failed');

    // Then
    const line = JSON.parse(text.trim());
    expect(line).toMatchObject({ level: 50, tool: 'get_artwork', msg: 'MCP tool failed', err: { type: 'TypeError' } });
    expect(line.err.stack).toContain('boom');
    expect(text).not.toContain('hidden');
  });
});
