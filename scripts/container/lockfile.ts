/**
 * What a workspace needs at run time, read from package-lock.json: used by the system tests to check an image's
 * node_modules, and by a Dockerfile to prune its production install to exactly that (run there by Node 24, which
 * strips the types; so this file uses only erasable TypeScript and Node's own modules):
 *
 *   node scripts/container/lockfile.ts prune <workspace path> [<package>:<dependency>[,<dependency>...] ...]
 *
 * removes from ./node_modules every installed package outside the workspace's production closure, ignoring the
 * listed dependency edges (e.g. `onnxruntime-node:adm-zip,global-agent`: the install script's dependencies).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface LockEntry {
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

interface Lockfile {
  packages: Record<string, LockEntry>;
}

export interface ClosureOptions {
  /**
   * Dependencies that are declared but not used at run time, by package name: `{ 'onnxruntime-node': ['adm-zip'] }`
   * leaves adm-zip (and what only it needs) out of the closure.
   */
  unusedDependencies?: Record<string, readonly string[]>;
}

/**
 * The `node_modules/...` locations (as package-lock.json names them) that a workspace needs at run time: its
 * dependencies, theirs, and so on, resolved the way Node resolves them, following workspace links. Anything an
 * image holds outside this set is a dev dependency or belongs to another workspace.
 */
export function productionClosure(repoRoot: string, workspacePath: string, options: ClosureOptions = {}): Set<string> {
  const { packages } = readLock(repoRoot);
  const unused = options.unusedDependencies ?? {};
  const needed = new Set<string>();
  const pending = [workspacePath];
  const visited = new Set<string>();

  while (pending.length > 0) {
    const location = pending.pop() as string;
    if (visited.has(location)) continue;
    visited.add(location);
    const entry = packages[location];
    if (!entry) continue;
    if (entry.link && entry.resolved) {
      pending.push(entry.resolved);
      continue;
    }
    const skipped = unused[packageName(location)] ?? [];
    const requiredPeers = Object.keys(entry.peerDependencies ?? {}).filter(
      (name) => !entry.peerDependenciesMeta?.[name]?.optional,
    );
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...requiredPeers,
    ].filter((name) => !skipped.includes(name));
    for (const name of names) {
      const found = resolveFrom(packages, location, name);
      if (!found) continue; // an optional dependency for another platform
      needed.add(found);
      pending.push(found);
    }
  }
  return needed;
}

/**
 * The installed package locations under `<root>/node_modules`, nested ones included (`node_modules/a/node_modules/b`),
 * relative to `root`; links (workspaces) are listed but not entered.
 */
export function installedPackages(root: string): string[] {
  const found: string[] = [];
  const record = (location: string) => {
    found.push(location);
    const nested = join(root, location, 'node_modules');
    if (!lstatSync(join(root, location)).isSymbolicLink() && existsSync(nested)) walk(`${location}/node_modules`);
  };
  const walk = (modules: string) => {
    for (const entry of readdirSync(join(root, modules))) {
      if (entry.startsWith('.')) continue;
      if (entry.startsWith('@')) {
        for (const scoped of readdirSync(join(root, modules, entry))) record(`${modules}/${entry}/${scoped}`);
      } else {
        record(`${modules}/${entry}`);
      }
    }
  };
  if (existsSync(join(root, 'node_modules'))) walk('node_modules');
  return found;
}

/**
 * Removes from `<root>/node_modules` every installed package outside the workspace's production closure (keeping the
 * workspace's own link), then empty scope folders; returns what it removed.
 */
export function pruneToClosure(root: string, workspacePath: string, options: ClosureOptions = {}): string[] {
  const keep = productionClosure(root, workspacePath, options);
  const ownLink = Object.entries(readLock(root).packages).find(
    ([location, entry]) => entry.link && entry.resolved === workspacePath && location.startsWith('node_modules/'),
  );
  if (ownLink) keep.add(ownLink[0]);
  const removed: string[] = [];
  for (const location of installedPackages(root)) {
    if (keep.has(location) || removed.some((gone) => location.startsWith(`${gone}/`))) continue;
    rmSync(join(root, location), { recursive: true, force: true });
    removed.push(location);
  }
  for (const scope of readdirSync(join(root, 'node_modules')).filter((name) => name.startsWith('@'))) {
    const folder = join(root, 'node_modules', scope);
    if (readdirSync(folder).length === 0) rmSync(folder, { recursive: true });
  }
  return removed;
}

function readLock(root: string): Lockfile {
  return JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as Lockfile;
}

/** `node_modules/a/node_modules/@s/b` -> `@s/b`; a workspace folder stays as it is. */
function packageName(location: string): string {
  const at = location.lastIndexOf('node_modules/');
  return at >= 0 ? location.slice(at + 'node_modules/'.length) : location;
}

/** Node's lookup: `<from>/node_modules/<name>`, then each enclosing package's, up to the root's. */
function resolveFrom(packages: Record<string, LockEntry>, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!base) return undefined;
    const enclosing = base.lastIndexOf('/node_modules/');
    base = enclosing >= 0 ? base.slice(0, enclosing) : '';
  }
}

/** `prune <workspace> [<package>:<dep>,<dep> ...]`, run in the folder that holds package-lock.json and node_modules. */
function main(args: string[]): void {
  const [command, workspacePath, ...edges] = args;
  if (command !== 'prune' || !workspacePath) {
    console.error('usage: node lockfile.ts prune <workspace path> [<package>:<dependency>[,<dependency>...] ...]');
    process.exit(2);
  }
  const unusedDependencies: Record<string, string[]> = {};
  for (const edge of edges) {
    const separator = edge.lastIndexOf(':');
    if (separator <= 0) {
      console.error(`lockfile.ts: '${edge}' is not <package>:<dependency>[,<dependency>...]`);
      process.exit(2);
    }
    unusedDependencies[edge.slice(0, separator)] = edge.slice(separator + 1).split(',');
  }
  const removed = pruneToClosure(process.cwd(), workspacePath, { unusedDependencies });
  console.log(`lockfile.ts: pruned ${removed.length} packages outside ${workspacePath}'s production closure`);
  for (const location of removed) console.log(`  - ${location}`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
