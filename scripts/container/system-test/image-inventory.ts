import { podmanOk } from './podman.js';

/** Runs `script` with `node -e` in a throwaway container of `image` (no network) and parses the JSON it prints. */
async function nodeInThrowawayContainer(image: string, script: string, args: readonly string[]): Promise<unknown> {
  return JSON.parse(await podmanOk(['run', '--rm', '--network', 'none', image, 'node', '-e', script, ...args]));
}

/** What an image's /app holds, as seen from inside the image (by its own node, so no shell is assumed). */
export interface ImageInventory {
  /** Files outside node_modules, relative to /app. */
  appFiles: string[];
  /** Installed package locations, `node_modules/<name>` and nested `.../node_modules/<name>`, relative to /app. */
  packages: string[];
  /** Where each link among the packages (the workspaces, `node_modules/@mlms/...`) leads, or the error reading it. */
  links: Record<string, string>;
  /** Every file under each folder asked for, relative to /app (an empty list when the folder is missing). */
  filesUnder: Record<string, string[]>;
}

// Runs inside the container; plain CommonJS so it needs nothing but node. The folders to list are its arguments.
const inventoryScript = `
const fs = require('node:fs');
const path = require('node:path');
const root = '/app';
const appFiles = [];
const packages = [];
const links = {};
function walkApp(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === path.join(root, 'node_modules')) continue;
    if (entry.isDirectory()) walkApp(full);
    else appFiles.push(path.relative(root, full));
  }
}
function realpathOrError(full) {
  try { return fs.realpathSync(full); } catch (error) { return String(error); }
}
function recordPackage(full) {
  packages.push(path.relative(root, full));
  if (fs.lstatSync(full).isSymbolicLink()) {
    links[path.relative(root, full)] = realpathOrError(full);
    return;
  }
  const nested = path.join(full, 'node_modules');
  if (fs.existsSync(nested)) walkModules(nested);
}
function walkModules(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) for (const scoped of fs.readdirSync(full)) recordPackage(path.join(full, scoped));
    else recordPackage(full);
  }
}
function filesIn(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}
walkApp(root);
walkModules(path.join(root, 'node_modules'));
const filesUnder = {};
for (const folder of process.argv.slice(1)) filesUnder[folder] = filesIn(path.join(root, folder));
process.stdout.write(JSON.stringify({ appFiles, packages, links, filesUnder }));
`;

/**
 * Lists an image's /app from a throwaway container (no network), and every file under each of `listFolders`
 * (relative to /app).
 */
export async function inventoryOf(image: string, listFolders: string[] = []): Promise<ImageInventory> {
  return (await nodeInThrowawayContainer(image, inventoryScript, listFolders)) as ImageInventory;
}

/**
 * Names no service image may ship, whatever the service: test runners, compilers, linters, the browser driver and the
 * repository's other dev tools. Each test adds what its service must not carry either.
 */
export const devToolPackages = [
  'vitest',
  '@vitest/coverage-v8',
  'typescript',
  'tsx',
  'esbuild',
  '@biomejs/biome',
  'playwright-core',
  'fast-check',
  'autocannon',
  'lefthook',
  '@types/node',
];

/** Files that are not compiled JavaScript, JSON or YAML (sources, maps, declarations, ...). */
export function notJsJsonOrYaml(files: string[]): string[] {
  return files.filter((file) => !/\.(js|json|yaml)$/.test(file));
}

/** Files in a `src`, `test`, `tests` or `__tests__` folder. */
export function inSourceOrTestFolders(files: string[]): string[] {
  return files.filter((file) => /(^|\/)(tests?|__tests__|src)\//.test(file));
}

/** The locations among `packages` (`node_modules/<name>`, at the top or nested) of any of `names`. */
export function locationsOf(packages: string[], names: string[]): string[] {
  return packages.filter((location) =>
    names.some((name) => location === `node_modules/${name}` || location.endsWith(`/node_modules/${name}`)),
  );
}

/** What must not be in a production image, wherever it is, found from inside the image. */
export interface Leftovers {
  /**
   * Under /app, node_modules included: TypeScript sources and declarations, source maps, build info, and a package's
   * own test folder (beside its package.json).
   */
  devFiles: string[];
  /** Anywhere in the image: installed packages (any node_modules) of the names asked for. */
  packages: string[];
}

// Runs inside the container as its user (unreadable folders are skipped); the package names are its arguments.
const leftoversScript = `
const fs = require('node:fs');
const path = require('node:path');
const names = new Set(process.argv.slice(1));
const devFiles = [];
const packages = [];
const skipped = new Set(['/proc', '/sys', '/dev']);
function entries(dir) {
  try { return fs.readdirSync(dir, { withFileTypes: true }); } catch { return []; }
}
function walk(dir, underApp) {
  for (const entry of entries(dir)) {
    const full = path.join(dir, entry.name);
    if (skipped.has(full)) continue;
    if (entry.isDirectory()) {
      const parent = path.basename(dir);
      const grandparent = path.basename(path.dirname(dir));
      if (parent === 'node_modules' && names.has(entry.name)) packages.push(full);
      else if (grandparent === 'node_modules' && parent.startsWith('@') && names.has(parent + '/' + entry.name)) packages.push(full);
      if (underApp && /^(tests?|__tests__)$/.test(entry.name) && fs.existsSync(path.join(dir, 'package.json'))) {
        devFiles.push(full);
        continue;
      }
      walk(full, underApp || full === '/app');
    } else if (underApp && /\\.([mc]?ts|map|tsbuildinfo)$/.test(entry.name)) {
      devFiles.push(full);
    }
  }
}
walk('/', false);
process.stdout.write(JSON.stringify({ devFiles, packages }));
`;

/** Compilers and pretty printers: needed to build or to read logs in a terminal, never by a running service. */
export const buildOnlyPackages = ['typescript', 'tsx', 'esbuild', '@esbuild/linux-x64', 'pino-pretty'];

/**
 * Searches a throwaway container of `image` (no network) for {@link Leftovers}: development files under /app and
 * `packages` (default {@link buildOnlyPackages} and {@link devToolPackages}) anywhere.
 */
export async function leftoversIn(
  image: string,
  packages: string[] = [...buildOnlyPackages, ...devToolPackages],
): Promise<Leftovers> {
  return (await nodeInThrowawayContainer(image, leftoversScript, packages)) as Leftovers;
}
