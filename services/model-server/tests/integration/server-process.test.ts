import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type CapturedProcess, startCapturedTypeScript, waitForOutput } from '../../../../scripts/lib/processes.js';
import { type TrainedModel, trainSmallModel } from '../../../../test-support/trained-model.js';

const serverEntry = 'services/model-server/src/server.ts';

/** Starts the real process entry (config, model load, listen, signals) as a user would, from the sources. */
function startProcess(env: Record<string, string>): CapturedProcess {
  return startCapturedTypeScript(serverEntry, {
    ENV: 'local',
    LOG_PRETTY: 'false',
    LOG_LEVEL: 'info',
    PORT: '0',
    ...env,
  });
}

describe('the model-server process (src/server.ts)', () => {
  let model: TrainedModel;
  let scratch: string;
  let running: ChildProcess | undefined;

  beforeAll(async () => {
    model = await trainSmallModel();
    scratch = await mkdtemp(join(tmpdir(), 'model-server-process-'));
  }, 60_000);
  afterEach(() => {
    if (running && running.exitCode === null) running.kill('SIGKILL');
  });
  afterAll(async () => {
    await model?.remove();
    await rm(scratch, { recursive: true, force: true });
  });

  it('stops with exit code 78 naming the directory when MODEL_URI does not exist', async () => {
    // Given
    const missing = join(scratch, 'no-model-here');
    const { child, output } = startProcess({ MODEL_URI: missing });
    running = child;

    // When
    const [code] = await once(child, 'exit');

    // Then
    expect(code).toBe(78);
    expect(output()).toContain(`model-server: cannot serve the model: ${missing}: no such directory`);
  });

  it('stops with exit code 78 naming MLmodel when it is not valid YAML', async () => {
    // Given
    const broken = join(scratch, 'broken');
    await cp(model.modelDir, broken, { recursive: true });
    await writeFile(join(broken, 'MLmodel'), 'flavors: [\n');
    const { child, output } = startProcess({ MODEL_URI: broken });
    running = child;

    // When
    const [code] = await once(child, 'exit');

    // Then
    expect(code).toBe(78);
    expect(output()).toContain(`${join(broken, 'MLmodel')}: not valid YAML`);
  });

  it('stops with exit code 78 when model.onnx is not an ONNX model', async () => {
    // Given
    const corrupt = join(scratch, 'corrupt');
    await cp(model.modelDir, corrupt, { recursive: true });
    await writeFile(join(corrupt, 'model.onnx'), 'not a protobuf');
    const { child, output } = startProcess({ MODEL_URI: corrupt });
    running = child;

    // When
    const [code] = await once(child, 'exit');

    // Then
    expect(code).toBe(78);
    expect(output()).toContain(`${join(corrupt, 'model.onnx')}: ONNX Runtime cannot load it`);
  });

  it('serves after loading the model, then exits 0 on SIGTERM', async () => {
    // Given
    const { child, output } = startProcess({ MODEL_URI: model.modelDir });
    running = child;
    const [, url] = await waitForOutput({ child, output }, /listening on (http:\/\/\S+),/);

    // When
    const ping = await fetch(`${url}/ping`);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');

    // Then
    expect(ping.status).toBe(200);
    expect(code).toBe(0);
  });
});
