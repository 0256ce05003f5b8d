import { createServer } from 'node:net';
import { runWithDeadline, UpstreamError, UpstreamTimeoutError } from '@mlms/service-kit';
import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ImageProvider } from '../../../src/provider/image-provider.js';

const origin = 'https://images.metmuseum.org';
const path = '/CRDImages/ep/web-large/DP102929.jpg';

describe('ImageProvider', () => {
  let agent: MockAgent;
  beforeEach(() => {
    agent = new MockAgent();
    agent.disableNetConnect();
  });
  afterEach(async () => {
    await agent.close();
  });
  const provider = (maxBytes = 1000, timeoutMs = 1000) =>
    new ImageProvider({ userAgent: 'art-search-tests', timeoutMs, maxBytes, dispatcher: agent });

  it('given the host answers an image, when fetching, then returns its bytes and type, sending our User-Agent', async () => {
    // Given
    agent
      .get(origin)
      .intercept({ path, method: 'GET', headers: { 'user-agent': 'art-search-tests' } })
      .reply(200, Buffer.from([1, 2, 3]), { headers: { 'content-type': 'image/jpeg; charset=binary' } });

    // When
    const image = await provider().fetch(`${origin}${path}`);

    // Then
    expect(image).toEqual({ data: Buffer.from([1, 2, 3]), mimeType: 'image/jpeg' });
  });

  it('given the host answers 404, when fetching, then raises an UpstreamError with the status', async () => {
    // Given
    agent.get(origin).intercept({ path }).reply(404, 'Not Found');

    // When / Then
    await expect(provider().fetch(`${origin}${path}`)).rejects.toMatchObject({
      constructor: UpstreamError,
      kind: 'status',
      upstreamStatus: 404,
      message: `The image host images.metmuseum.org answered HTTP 404 for ${origin}${path}.`,
    });
  });

  it('given the host answers HTML, when fetching, then refuses it as not an image', async () => {
    // Given
    agent
      .get(origin)
      .intercept({ path })
      .reply(200, '<html>', { headers: { 'content-type': 'text/html' } });

    // When / Then
    await expect(provider().fetch(`${origin}${path}`)).rejects.toThrow(
      'The image host images.metmuseum.org sent text/html, not an image.',
    );
  });

  it('given an image over the size cap, when fetching, then refuses it', async () => {
    // Given
    agent
      .get(origin)
      .intercept({ path })
      .reply(200, Buffer.alloc(2000), { headers: { 'content-type': 'image/jpeg' } });

    // When / Then
    await expect(provider(1000).fetch(`${origin}${path}`)).rejects.toThrow('is larger than 1000 bytes');
  });

  it('given the network refuses the request, when fetching, then raises an UpstreamError naming the host', async () => {
    // Given: MockAgent with net connect disabled fails as an unreachable network would
    agent
      .get(origin)
      .intercept({ path })
      .replyWithError(Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' }));

    // When / Then
    await expect(provider().fetch(`${origin}${path}`)).rejects.toMatchObject({
      constructor: UpstreamError,
      kind: 'connection',
      message: 'The image host images.metmuseum.org could not be reached (ENOTFOUND).',
    });
  });
});

describe('ImageProvider without a mock', () => {
  it('given nothing listens at the host, when fetching, then says it could not be reached', async () => {
    // Given: a port that was free a moment ago
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise((resolve) => server.close(resolve));
    const provider = new ImageProvider({ userAgent: 't', timeoutMs: 1000, maxBytes: 10 });

    // When / Then
    await expect(provider.fetch(`http://127.0.0.1:${port}/x.jpg`)).rejects.toThrow(
      `The image host 127.0.0.1:${port} could not be reached (ECONNREFUSED).`,
    );
  });

  it('given a host that breaks the body off, when fetching, then says it failed', async () => {
    // Given
    const { createServer: createHttpServer } = await import('node:http');
    const server = createHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': '100' });
      response.write('abc');
      setTimeout(() => response.socket?.destroy(), 10);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const provider = new ImageProvider({ userAgent: 't', timeoutMs: 1000, maxBytes: 1000 });

    try {
      // When / Then
      await expect(provider.fetch(`http://127.0.0.1:${port}/x.jpg`)).rejects.toThrow(
        `The image host 127.0.0.1:${port}`,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('given a host that never answers, when fetching, then raises an UpstreamTimeoutError', async () => {
    // Given
    const { createServer: createHttpServer } = await import('node:http');
    const server = createHttpServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const provider = new ImageProvider({ userAgent: 't', timeoutMs: 50, maxBytes: 1000 });

    try {
      // When / Then
      await expect(provider.fetch(`http://127.0.0.1:${port}/x.jpg`)).rejects.toMatchObject({
        constructor: UpstreamTimeoutError,
        message: `The image host 127.0.0.1:${port} did not answer within 50 ms.`,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("given a host that never answers, when fetching within a request's deadline, then it fails at the deadline", async () => {
    // Given
    const { createServer: createHttpServer } = await import('node:http');
    const server = createHttpServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const provider = new ImageProvider({ userAgent: 't', timeoutMs: 10_000, maxBytes: 1000 });

    try {
      // When / Then
      await expect(runWithDeadline(60, () => provider.fetch(`http://127.0.0.1:${port}/x.jpg`))).rejects.toMatchObject({
        constructor: UpstreamTimeoutError,
        message: `The image host 127.0.0.1:${port} did not answer within the request's deadline of 60 ms.`,
      });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
