// Copies non-TypeScript assets (config YAML, JSON data) from src/ to dist/, keeping relative paths, because
// tsc only emits what it compiles. Usage: node copy-assets.mjs <srcDir> <outDir> <ext> [<ext> ...]
import { cpSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

const [sourceDir, outDir, ...extensions] = process.argv.slice(2);
if (!sourceDir || !outDir || extensions.length === 0) {
  console.error('usage: node copy-assets.mjs <srcDir> <outDir> <ext> [<ext> ...]');
  process.exit(2);
}
const wanted = new Set(extensions.map((extension) => `.${extension.replace(/^\./, '')}`));
for (const entry of readdirSync(sourceDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const extension = entry.name.slice(entry.name.lastIndexOf('.'));
  if (!wanted.has(extension)) continue;
  const from = join(entry.parentPath, entry.name);
  cpSync(from, join(outDir, relative(sourceDir, from)));
}
