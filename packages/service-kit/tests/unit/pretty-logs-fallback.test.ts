import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { quietServiceTestSettings } from '../../../../test-support/config.js';
// Not exported from the package: only the kit itself decides about pretty logs.
import { createServiceApp, prettyLogsAvailable, type ServiceApp } from '../../src/app.js';
import { TEST_OPENAPI } from './support/test-app.js';

// The production images do not install pino-pretty: the kit's own lookup of it fails here as it does there.
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  const createRequire = (from: string | URL) => {
    const real = actual.createRequire(from);
    const resolve = (specifier: string, options?: { paths?: string[] }) => {
      if (specifier === 'pino-pretty') {
        throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
      }
      return real.resolve(specifier, options);
    };
    return Object.assign((id: string) => real(id), real, { resolve });
  };
  return { ...actual, createRequire, default: { ...actual, createRequire } };
});

let app: ServiceApp | undefined;

afterEach(async () => {
  await app?.close();
  app = undefined;
  vi.restoreAllMocks();
});

describe('pretty logs without pino-pretty installed', () => {
  it('reports pino-pretty as unavailable when it cannot be resolved', () => {
    // Given a resolver that finds no pino-pretty
    const missing = (specifier: string): string => {
      throw new Error(`Cannot find module '${specifier}'`);
    };

    // When / Then
    expect(prettyLogsAvailable(missing)).toBe(false);
    expect(prettyLogsAvailable(() => '/app/node_modules/pino-pretty/index.js')).toBe(true);
  });

  it('falls back to JSON log lines with one warning when logPretty is set', async () => {
    // Given the kit's JSON destination captured instead of written to stdout
    const lines: string[] = [];
    vi.spyOn(pino, 'destination').mockReturnValue({
      write: (chunk: string) => {
        lines.push(...chunk.split('\n').filter((line) => line !== ''));
        return true;
      },
    } as unknown as ReturnType<typeof pino.destination>);

    // When an app asks for pretty logs
    app = await createServiceApp({
      name: 'pretty-fallback',
      config: { ...quietServiceTestSettings, logLevel: 'warn', logPretty: true },
      openApi: TEST_OPENAPI,
    });
    const response = await app.inject({ method: 'GET', url: '/health/none' });

    // Then it still serves, and its log says once, as a JSON line, that it logs JSON instead
    expect(response.statusCode).toBe(404);
    const warnings = lines.map((line) => JSON.parse(line) as { level: number; msg: string; name: string });
    expect(warnings).toEqual([
      expect.objectContaining({ level: 40, name: 'pretty-fallback', msg: expect.stringMatching(/pino-pretty/) }),
    ]);
  });
});
