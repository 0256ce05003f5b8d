import { podmanOk } from './podman.js';

/** What an image's /app holds, as seen from inside the image (by its own node, so no shell is assumed). */
export interface ImageInventory {
  /** Files outside node_modules, relative to /app. */
  appFiles: string[];
  /** Installed package locations, `node_modules/<name>` and nested `.../node_modules/<name>`, relative to /app. */
  packages: string[];
  /** Where `node_modules/@mlms/service-kit` leads, or the error reading it. */
  serviceKitTarget: string;
}

// Runs inside the container; plain CommonJS so it needs nothing but node.
const inventoryScript = `
const fs = require('node:fs');
const path = require('node:path');
const root = '/app';
const appFiles = [];
const packages = [];
function walkApp(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (full === path.join(root, 'node_modules')) continue;
    if (entry.isDirectory()) walkApp(full);
    else appFiles.push(path.relative(root, full));
  }
}
function recordPackage(full) {
  packages.push(path.relative(root, full));
  const nested = path.join(full, 'node_modules');
  if (!fs.lstatSync(full).isSymbolicLink() && fs.existsSync(nested)) walkModules(nested);
}
function walkModules(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.name.startsWith('@')) for (const scoped of fs.readdirSync(full)) recordPackage(path.join(full, scoped));
    else recordPackage(full);
  }
}
walkApp(root);
walkModules(path.join(root, 'node_modules'));
let serviceKitTarget;
try { serviceKitTarget = fs.realpathSync(path.join(root, 'node_modules/@mlms/service-kit')); }
catch (error) { serviceKitTarget = String(error); }
process.stdout.write(JSON.stringify({ appFiles, packages, serviceKitTarget }));
`;

/** Lists an image's /app from a throwaway container (no network). */
export async function inventoryOf(image: string): Promise<ImageInventory> {
  const output = await podmanOk(['run', '--rm', '--network', 'none', image, 'node', '-e', inventoryScript]);
  return JSON.parse(output) as ImageInventory;
}
