import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/**
 * The `node_modules/...` locations (as package-lock.json names them) that a workspace needs at run time: its
 * dependencies, theirs, and so on, resolved the way Node resolves them, following workspace links. Anything an
 * image holds outside this set is a dev dependency or belongs to another workspace.
 */
export function productionClosure(repoRoot: string, workspacePath: string): Set<string> {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as Lockfile;
  const { packages } = lock;
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
    const requiredPeers = Object.keys(entry.peerDependencies ?? {}).filter(
      (name) => !entry.peerDependenciesMeta?.[name]?.optional,
    );
    const names = [
      ...Object.keys(entry.dependencies ?? {}),
      ...Object.keys(entry.optionalDependencies ?? {}),
      ...requiredPeers,
    ];
    for (const name of names) {
      const found = resolveFrom(packages, location, name);
      if (!found) continue; // an optional dependency for another platform
      needed.add(found);
      pending.push(found);
    }
  }
  return needed;
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
