/** HTTP over loopback as a load balancer or a careless client sends it, recording what came back or how it failed. */
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** From sending the request to the last byte of the answer. */
  ms: number;
}

export interface RequestSpec {
  method?: string;
  /** Path and query, sent as they are. */
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

/** The request could not get an answer: the socket error code (ECONNRESET, ECONNREFUSED…) or `client_timeout`. */
export class NoAnswer extends Error {
  constructor(
    readonly code: string,
    readonly ms: number,
  ) {
    super(`no answer: ${code} after ${Math.round(ms)} ms`);
  }
}

/**
 * One request on `agent` (false: a connection of its own). A request with no answer after `timeoutMs` is given up
 * as `client_timeout`, so a hung server fails the test instead of hanging it.
 */
export function send(
  port: number,
  spec: RequestSpec,
  options: { agent?: Agent | false; timeoutMs?: number } = {},
): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: spec.method ?? 'GET',
        path: spec.path,
        headers: withLength(spec),
        agent: options.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString(),
            ms: performance.now() - started,
          }),
        );
        res.on('error', (error: NodeJS.ErrnoException) =>
          reject(new NoAnswer(error.code ?? error.message, performance.now() - started)),
        );
      },
    );
    req.setTimeout(options.timeoutMs ?? 10_000, () =>
      req.destroy(Object.assign(new Error(), { code: 'client_timeout' })),
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      reject(new NoAnswer(error.code ?? error.message, performance.now() - started)),
    );
    req.end(spec.body);
  });
}

/**
 * The headers with a Content-Length for the body: node:http sends a GET, DELETE, OPTIONS or TRACE body with neither a
 * length nor chunked encoding, so the server reads it as the start of the next request on the connection.
 */
function withLength(spec: RequestSpec): Record<string, string | number> | undefined {
  if (spec.body === undefined) return spec.headers;
  const declared = Object.keys(spec.headers ?? {}).some((name) => name.toLowerCase() === 'content-length');
  return declared ? spec.headers : { ...spec.headers, 'content-length': Buffer.byteLength(spec.body) };
}

/**
 * Writes raw bytes on a connection of their own (requests node:http would refuse to send: broken request lines,
 * forbidden header characters) and reads the status of the answer; `undefined` when the connection ended first.
 */
export function sendRaw(port: number, bytes: string | Buffer, timeoutMs = 10_000): Promise<number | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = (status: number | undefined) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(timeoutMs, () => {
      settled = true;
      socket.destroy();
      reject(new NoAnswer('client_timeout', timeoutMs));
    });
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      if (match) finish(Number(match[1]));
    });
    socket.on('end', () => finish(undefined));
    // The server may close as soon as it has answered, before all of a long request was written.
    socket.on('error', () => finish(undefined));
    socket.on('connect', () => socket.write(bytes));
  });
}

/** Counts by key, printed as `200×1840 503×12`. */
export class Tally {
  private readonly counts = new Map<string, number>();

  add(key: string | number, by = 1): void {
    const name = String(key);
    this.counts.set(name, (this.counts.get(name) ?? 0) + by);
  }

  get(key: string | number): number {
    return this.counts.get(String(key)) ?? 0;
  }

  keys(): string[] {
    return [...this.counts.keys()].sort();
  }

  total(): number {
    let sum = 0;
    for (const value of this.counts.values()) sum += value;
    return sum;
  }

  toString(): string {
    return (
      this.keys()
        .map((key) => `${key}×${this.counts.get(key)}`)
        .join(' ') || 'none'
    );
  }
}

/** Runs `work` for every item with at most `concurrency` at once. */
export async function forEachConcurrently<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
