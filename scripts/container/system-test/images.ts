/**
 * The project's images as the system tests build them: one tag per image, shared by each image's own test and the
 * compose test (deploy/compose.yaml runs these tags), with the OCI label values passed as build arguments.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildImage, repoRoot } from './podman.js';

export interface ProjectImage {
  /** The org.opencontainers.image.title label. */
  title: string;
  /** The workspace folder, relative to the repository root: its package.json gives the version label. */
  workspace: string;
  dockerfile: string;
  /** The tag the tests build, unless `prebuiltEnv` names an image built beforehand from the same base. */
  tag: string;
  prebuiltEnv: string;
  logName: string;
  buildArgs?: Record<string, string>;
}

/** The default model, relative to the repository root (the build context): what the image bakes in at /app/model. */
export const defaultModelDir = 'ml/housing-price-model/models/default';

export const projectImages = {
  artSearch: {
    title: 'art-search',
    workspace: 'services/art-search',
    dockerfile: 'services/art-search/Dockerfile',
    tag: 'localhost/art-search:system-test',
    prebuiltEnv: 'SYSTEM_TEST_IMAGE',
    logName: 'image-build.log',
  },
  modelServer: {
    title: 'model-server',
    workspace: 'services/model-server',
    dockerfile: 'services/model-server/Dockerfile',
    tag: 'localhost/model-server:system-test',
    prebuiltEnv: 'MODEL_SERVER_SYSTEM_TEST_IMAGE',
    logName: 'model-server-image-build.log',
    buildArgs: { MODEL_DIR: defaultModelDir },
  },
  priceOrchestrator: {
    title: 'price-orchestrator',
    workspace: 'services/price-orchestrator',
    dockerfile: 'services/price-orchestrator/Dockerfile',
    tag: 'localhost/price-orchestrator:system-test',
    prebuiltEnv: 'PRICE_ORCHESTRATOR_SYSTEM_TEST_IMAGE',
    logName: 'price-orchestrator-image-build.log',
  },
  metEmulator: {
    title: 'met-emulator',
    workspace: 'tools/met-emulator',
    dockerfile: 'tools/met-emulator/Dockerfile',
    tag: 'localhost/met-emulator:system-test',
    prebuiltEnv: 'MET_EMULATOR_SYSTEM_TEST_IMAGE',
    logName: 'met-emulator-image-build.log',
  },
} satisfies Record<string, ProjectImage>;

/** The image reference a test uses: the prebuilt one its environment variable names, else the tag built here. */
export function imageRef(image: ProjectImage): string {
  return process.env[image.prebuiltEnv] ?? image.tag;
}

/** True when the image was built beforehand, so its label values are whatever that build passed. */
export function isPrebuilt(image: ProjectImage): boolean {
  return process.env[image.prebuiltEnv] !== undefined;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/**
 * The repository's URL: package.json's `repository`, else the `origin` remote, else this checkout as a file URL
 * (the repository declares no public URL yet, and a label naming where the image came from beats an empty one).
 */
export function sourceUrl(): string {
  const manifest = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
    repository?: string | { url?: string };
  };
  const declared = typeof manifest.repository === 'string' ? manifest.repository : manifest.repository?.url;
  return declared ?? git(['remote', 'get-url', 'origin']) ?? `file://${repoRoot}`;
}

/** The label values an image built from this checkout carries; read once, so a commit made meanwhile cannot race. */
export interface LabelValues {
  VERSION: string;
  REVISION: string;
  SOURCE_URL: string;
}

let revision: string | undefined;

export function labelValues(image: ProjectImage): LabelValues {
  revision ??= git(['rev-parse', 'HEAD']) ?? 'unknown';
  const manifest = JSON.parse(readFileSync(join(repoRoot, image.workspace, 'package.json'), 'utf8')) as {
    version: string;
  };
  return { VERSION: manifest.version, REVISION: revision, SOURCE_URL: sourceUrl() };
}

/**
 * Builds `image` on `nodeImage` with its label values, unless a prebuilt image was named; returns the reference.
 * Podman's layer cache makes a second build in the same run (another test file) take seconds.
 */
export async function buildProjectImage(image: ProjectImage, nodeImage: string): Promise<string> {
  if (!isPrebuilt(image)) {
    await buildImage({
      dockerfile: image.dockerfile,
      tag: image.tag,
      nodeImage,
      buildArgs: { ...labelValues(image), ...image.buildArgs },
      logName: image.logName,
    });
  }
  return imageRef(image);
}
