import {
  currentDeadline,
  type RequestDeadline,
  remainingMs,
  UpstreamError,
  UpstreamTimeoutError,
} from '@mlms/service-kit';
import { type Dispatcher, errors, request } from 'undici';

export interface ImageProviderOptions {
  userAgent: string;
  /** How long to wait for the headers, and then between body chunks. */
  timeoutMs: number;
  /** Larger images are refused rather than read whole into memory. */
  maxBytes: number;
  /** Replaces the global connection pool (unit tests pass undici's MockAgent). */
  dispatcher?: Dispatcher | undefined;
}

export interface FetchedImage {
  data: Buffer;
  /** The image's media type as its host sends it, e.g. `image/jpeg`. */
  mimeType: string;
}

/** The error codes of a host that cannot be reached at all: no network, no DNS, nothing listening. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNRESET']);

/**
 * Downloads artwork images from the Met's image host (images.metmuseum.org), which is not the Collection API:
 * it has no request budget and no bot wall, so it gets a plain HTTP GET with our User-Agent, a timeout and a size
 * cap. Every failure is an `UpstreamError` or `UpstreamTimeoutError` naming the host, like the Met client's.
 */
export class ImageProvider {
  constructor(private readonly options: ImageProviderOptions) {}

  async fetch(url: string): Promise<FetchedImage> {
    const host = new URL(url).host;
    // The whole download, headers and body, fits in what is left of the request's deadline.
    const deadline = currentDeadline();
    const signal = deadline ? AbortSignal.timeout(Math.max(1, Math.floor(remainingMs(deadline)))) : undefined;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'GET',
        headers: { 'user-agent': this.options.userAgent, accept: 'image/*' },
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
        ...(signal ? { signal } : {}),
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
    } catch (error) {
      throw this.failure(host, error, deadline);
    }
    const { statusCode, headers, body } = response;
    const mimeType =
      String(headers['content-type'] ?? '')
        .split(';')[0]
        ?.trim() ?? '';
    if (statusCode < 200 || statusCode >= 300) {
      await body.dump();
      throw new UpstreamError(host, 'status', `The image host ${host} answered HTTP ${statusCode} for ${url}.`, {
        upstreamStatus: statusCode,
      });
    }
    if (!mimeType.startsWith('image/')) {
      await body.dump();
      throw new UpstreamError(
        host,
        'unexpected_shape',
        `The image host ${host} sent ${mimeType || 'no type'}, not an image.`,
      );
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of body) {
        size += (chunk as Buffer).length;
        if (size > this.options.maxBytes) {
          body.destroy();
          throw new UpstreamError(
            host,
            'unexpected_shape',
            `The image at ${url} is larger than ${this.options.maxBytes} bytes, too large to send.`,
          );
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      throw error instanceof UpstreamError ? error : this.failure(host, error, deadline);
    }
    return { data: Buffer.concat(chunks), mimeType };
  }

  private failure(host: string, error: unknown, deadline: RequestDeadline | undefined): Error {
    if (error instanceof errors.HeadersTimeoutError || error instanceof errors.BodyTimeoutError) {
      return new UpstreamTimeoutError(`The image host ${host}`, this.options.timeoutMs, { cause: error });
    }
    if (deadline && (error as Error).name === 'TimeoutError') {
      return new UpstreamTimeoutError(`The image host ${host}`, deadline.budgetMs, {
        cause: error,
        requestDeadline: true,
      });
    }
    const code = codeOf(error);
    const reason = code && UNREACHABLE.has(code) ? `could not be reached (${code})` : `failed (${describe(error)})`;
    return new UpstreamError(host, 'connection', `The image host ${host} ${reason}.`, { cause: error });
  }
}

function codeOf(error: unknown): string | undefined {
  const own = (error as { code?: unknown }).code;
  if (typeof own === 'string' && !own.startsWith('UND_ERR')) return own;
  const cause = (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof cause === 'string' ? cause : typeof own === 'string' ? own : undefined;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
