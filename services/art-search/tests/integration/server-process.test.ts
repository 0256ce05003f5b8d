import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createMetEmulator, type MetEmulator } from '@mlms/met-emulator';
import { afterEach, describe, expect, it } from 'vitest';
import { type CapturedProcess, startCapturedTypeScript, waitForOutput } from '../../../../scripts/lib/processes.js';

const serverEntry = 'services/art-search/src/server.ts';

/** Starts the real process entry (config loading, listen, signal handling) as a user would, from the sources. */
function startServer(env: Record<string, string>): CapturedProcess {
  return startCapturedTypeScript(serverEntry, { LOG_PRETTY: 'false', LOG_LEVEL: 'info', ...env });
}

describe('the art-search process (src/server.ts)', () => {
  let emulator: MetEmulator | undefined;
  let running: ChildProcess | undefined;
  afterEach(async () => {
    if (running && running.exitCode === null) running.kill('SIGKILL');
    await emulator?.close();
  });

  it('refuses to start with an invalid setting, naming the key and the value, exit code 78', async () => {
    // Given
    const { child, output } = startServer({ ENV: 'local', PORT: 'eighty' });
    running = child;

    // When
    const [code] = await once(child, 'exit');

    // Then
    expect(code).toBe(78);
    expect(output()).toMatch(/Invalid configuration in .*config\.yaml for ENV=local:\n {2}- port: .*\(got "eighty"\)/);
  });

  it('refuses an unknown ENV, listing the environments the file defines', async () => {
    // Given
    const { child, output } = startServer({ ENV: 'staging' });
    running = child;

    // When
    const [code] = await once(child, 'exit');

    // Then
    expect(code).toBe(78);
    expect(output()).toContain('Unknown environment ENV="staging"');
    expect(output()).toContain('defines local, dev, qa, prod');
  });

  it('serves searches in JSON-logged ENV=local and exits 0 on SIGTERM', async () => {
    // Given
    emulator = await createMetEmulator();
    const metApiUrl = await emulator.listen({ host: '127.0.0.1', port: 0 });
    const { child, output } = startServer({ ENV: 'local', PORT: '0', MET_API_URL: metApiUrl });
    running = child;
    const [, url] = await waitForOutput({ child, output }, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/);

    // When
    const response = await fetch(`${url}/api/search?title=The%20Death%20of%20Socrates`);
    const body = await response.json();
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');

    // Then
    expect(response.status).toBe(200);
    expect(body).toBe('https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(code).toBe(0);
    const requestLine = output()
      .split('\n')
      .map((line) => (line.startsWith('{') ? JSON.parse(line) : {}))
      .find((entry) => entry.msg === 'request completed' && entry.url?.startsWith('/api/search'));
    expect(requestLine).toMatchObject({ statusCode: 200, reqId: response.headers.get('x-request-id') });
  });
});
