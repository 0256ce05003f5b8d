import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TrainedModel, trainSmallModel } from '../support/trained-model.js';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const serverEntry = 'services/model-server/src/server.ts';

/** Starts the real process entry (config, model load, listen, signals) as a user would, from the sources. */
function startProcess(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', serverEntry], {
    cwd: repoRoot,
    env: { ...process.env, ENV: 'local', LOG_PRETTY: 'false', LOG_LEVEL: 'info', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const append = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return { child, output: () => output };
}

async function waitForOutput(output: () => string, pattern: RegExp, child: ChildProcess): Promise<RegExpMatchArray> {
  for (;;) {
    const match = output().match(pattern);
    if (match) return match;
    if (child.exitCode !== null) throw new Error(`server exited early:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
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
    const [, url] = await waitForOutput(output, /listening on (http:\/\/\S+),/, child);

    // When
    const ping = await fetch(`${url}/ping`);
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');

    // Then
    expect(ping.status).toBe(200);
    expect(code).toBe(0);
  });
});
