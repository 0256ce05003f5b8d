/**
 * A tiny service whose process entry is runServiceMain, run as a child process by run.test.ts, so exit codes,
 * stderr and SIGTERM are real.
 *
 * Usage: service-main-child.ts <scenario>
 * - `config-error`: loadConfig throws a ConfigError.
 * - `build-config-error`: an async buildApp throws a ConfigError after a turn of the event loop.
 * - `build-fails`: buildApp throws a plain Error.
 * - `runs`: listens on a free loopback port with three resources, `pool` (registered before the app), `cache`
 *   (whose close fails) and `model` (registered after the app). Each close writes the JSON line `closed <name>`.
 */
import { setImmediate } from 'node:timers/promises';
import { type Closeable, ConfigError, createServiceApp, runServiceMain, ServiceResources } from '@mlms/service-kit';
import { quietServiceTestSettings } from '../../../../../test-support/config.js';

const scenario = process.argv[2] ?? 'runs';
const config = { ...quietServiceTestSettings, logLevel: 'info' as const, shutdownGraceMs: 5000 };

function resource(name: string, fails = false): Closeable {
  return {
    async close() {
      if (fails) throw new Error(`${name} is still flushing`);
      process.stdout.write(`${JSON.stringify({ msg: `closed ${name}` })}\n`);
    },
  };
}

await runServiceMain({
  name: 'main-child',
  loadConfig: () => {
    if (scenario === 'config-error') throw new ConfigError('Invalid configuration in child.yaml:\n  - port: too big');
    return config;
  },
  buildApp: async (loaded) => {
    await setImmediate();
    if (scenario === 'build-config-error') throw new ConfigError('Model file /models/missing.onnx does not exist.');
    if (scenario === 'build-fails') throw new Error('model weights are corrupt');
    const resources = new ServiceResources();
    resources.closeOnShutdown(resource('pool'));
    const app = await createServiceApp({
      name: 'main-child',
      config: loaded,
      openApi: { title: 'Child', version: '0.0.0', description: 'Started by run.test.ts.' },
      resources,
    });
    resources.closeOnShutdown(resource('cache', true), 'cache');
    resources.closeOnShutdown(resource('model'));
    return app;
  },
  banner: (url, loaded) => [`child listening on ${url} with a grace of ${loaded.shutdownGraceMs} ms`],
});
