import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const versionedPackageSchema = z.object({ version: z.string().min(1) });

/**
 * The `version` of the package.json one directory above a module: the service's own version for a module in
 * `src/` (run from source) or `dist/` (built, as the images run it), so the version the API reports (OpenAPI, V2
 * server metadata, MCP) is the one released in package.json and in the image label, never a second copy.
 *
 * @param moduleUrl the calling module's `import.meta.url`.
 * @throws Error naming the file when it cannot be read or has no version.
 */
export function packageVersion(moduleUrl: string): string {
  const path = fileURLToPath(new URL('../package.json', moduleUrl));
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: cannot read the service's version (${(error as Error).message})`);
  }
  const result = versionedPackageSchema.safeParse(parsed);
  if (!result.success) throw new Error(`${path}: has no "version" string`);
  return result.data.version;
}
