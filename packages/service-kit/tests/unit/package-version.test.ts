import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageVersion } from '@mlms/service-kit';
import { describe, expect, it } from 'vitest';

/** A service directory with `package.json` (when given) and the URL of a module in its `dist/`. */
function serviceModule(packageJson?: string): { moduleUrl: string; packagePath: string } {
  const root = mkdtempSync(join(tmpdir(), 'package-version-'));
  mkdirSync(join(root, 'dist'));
  const packagePath = join(root, 'package.json');
  if (packageJson !== undefined) writeFileSync(packagePath, packageJson);
  return { moduleUrl: pathToFileURL(join(root, 'dist', 'app.js')).href, packagePath };
}

describe('packageVersion', () => {
  it("given a module in a service's dist/, when reading its version, then it is the service package.json's", () => {
    const { moduleUrl } = serviceModule(JSON.stringify({ name: '@mlms/example', version: '2.3.4-rc.1' }));

    expect(packageVersion(moduleUrl)).toBe('2.3.4-rc.1');
  });

  it('given no package.json above the module, when reading its version, then the error names the file', () => {
    const { moduleUrl, packagePath } = serviceModule();

    expect(() => packageVersion(moduleUrl)).toThrow(`${packagePath}: cannot read the service's version`);
  });

  it('given a package.json without a version, when reading it, then the error says so', () => {
    const { moduleUrl, packagePath } = serviceModule(JSON.stringify({ name: '@mlms/example' }));

    expect(() => packageVersion(moduleUrl)).toThrow(`${packagePath}: has no "version" string`);
  });

  it('given a package.json that is not JSON, when reading it, then the error names the file', () => {
    const { moduleUrl, packagePath } = serviceModule('{ not json');

    expect(() => packageVersion(moduleUrl)).toThrow(packagePath);
  });
});
