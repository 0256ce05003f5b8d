/**
 * The model-server image for the system tests: its own (services/model-server/tests/system) and those of the services
 * that call it (services/price-orchestrator/tests/system), built once per run from the same Dockerfile, base and model.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureDefaultModel } from '@mlms/housing-price-model';
import { buildApp, loadModelServerConfig } from '@mlms/model-server';
import type { ServiceApp } from '@mlms/service-kit';
import { buildProjectImage, defaultModelDir, imageRef, projectImages } from './images.js';
import { artifactsDir, repoRoot } from './podman.js';

export { defaultModelDir };

/**
 * An image built beforehand from the same base (e.g. by services/model-server/deployment/app-build.sh), named by
 * MODEL_SERVER_SYSTEM_TEST_IMAGE, is tested as it is; otherwise the tests build {@link modelServerImage}.
 */
export const modelServerImage = imageRef(projectImages.modelServer);

/**
 * The default model directory (absolute), trained first when this checkout has no current one (it is git-ignored;
 * training takes seconds); the training's status lines go to .system-test/default-model-train.log.
 */
export async function ensureDefaultModelDir(): Promise<string> {
  mkdirSync(artifactsDir, { recursive: true });
  const logPath = join(artifactsDir, 'default-model-train.log');
  return await ensureDefaultModel({
    modelDir: join(repoRoot, defaultModelDir),
    log: (line) => appendFileSync(logPath, `${line}\n`),
  });
}

/**
 * Builds {@link modelServerImage} from services/model-server/Dockerfile on `nodeImage` with the default model baked
 * in (trained first if need be), unless a prebuilt image was named; returns the image reference. Podman's layer cache
 * makes a second build in the same run (another test file) take seconds.
 */
export async function buildModelServerImage(nodeImage: string): Promise<string> {
  await ensureDefaultModelDir();
  return await buildProjectImage(projectImages.modelServer, nodeImage);
}

/**
 * The model server built from source in this process (quiet, local settings) serving `modelDir`: the reference the
 * containers' answers are compared with. The caller closes it.
 */
export async function inProcessModelServer(modelDir: string): Promise<ServiceApp> {
  return await buildApp(
    loadModelServerConfig({ ENV: 'local', MODEL_URI: modelDir, LOG_LEVEL: 'silent', LOG_PRETTY: 'false' }),
  );
}
