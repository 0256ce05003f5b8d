import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningStack, startStack } from '../support/stack.js';

/**
 * The MCP conformance suite (@modelcontextprotocol/conformance) against art-search's /mcp: each server scenario that
 * does not call the reference server's own fixtures (its test_* tools, test:// resources and prompts) runs as
 * `conformance server --url …/mcp --scenario <id>`, on the Node running this test. The suite needs Node 22 or later
 * (it imports `globSync` from `node:fs` at start-up), so on Node 20 this is skipped; CI runs it in its Node 24 pass.
 */

interface BaselineEntry {
  scenario: string;
  why: string;
}
interface Baseline {
  conformance: string;
  notRun: BaselineEntry[];
  notPassed: BaselineEntry[];
}
interface Check {
  id: string;
  status: 'SUCCESS' | 'FAILURE' | 'WARNING' | 'INFO' | 'SKIPPED';
  errorMessage?: string;
  details?: { message?: string };
}
type Outcome = 'passed' | 'failed' | 'untested';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const packageDir = join(repoRoot, 'node_modules/@modelcontextprotocol/conformance');
const bin = join(packageDir, 'dist/index.js');
const baseline = JSON.parse(
  await readFile(new URL('./mcp-conformance-baseline.json', import.meta.url), 'utf8'),
) as Baseline;
const SCENARIO_TIMEOUT_MS = 30_000;

const nodeMajor = Number(process.versions.node.split('.')[0]);

/** Runs the suite's CLI on this Node; exit 1 only means a scenario failed, which the checks it saved tell. */
function conformance(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd, timeout: SCENARIO_TIMEOUT_MS, env: { ...process.env, NO_COLOR: '1' } },
      (error, stdout, stderr) => {
        if (error && (error.code !== 1 || error.killed)) {
          reject(new Error(`conformance ${args.join(' ')} failed (${error.message}):\n${stdout}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

/** A scenario passes with at least one successful check and no failed one; only warnings means it tested nothing. */
function outcomeOf(checks: Check[]): { outcome: Outcome; detail: string } {
  const failed = checks.filter((check) => check.status === 'FAILURE');
  const detail = (list: Check[]) =>
    list.map((check) => `${check.id}: ${check.errorMessage ?? check.details?.message ?? check.status}`).join('; ');
  if (failed.length > 0) return { outcome: 'failed', detail: detail(failed) };
  if (checks.some((check) => check.status === 'SUCCESS')) return { outcome: 'passed', detail: '' };
  return { outcome: 'untested', detail: detail(checks.filter((check) => check.status === 'WARNING')) };
}

describe.skipIf(nodeMajor < 22)(
  `MCP conformance suite ${baseline.conformance} against /mcp (skipped below Node 22: the suite imports fs.globSync; this is Node ${process.versions.node})`,
  () => {
    let stack: RunningStack;
    let workDir: string;
    let serverScenarios: string[];
    beforeAll(async () => {
      workDir = await mkdtemp(join(tmpdir(), 'mcp-conformance-'));
      stack = await startStack();
      const listing = await conformance(['list', '--server'], workDir);
      serverScenarios = [...listing.matchAll(/^\s+- (\S+)/gm)].map((match) => match[1] as string);
    });
    afterAll(async () => {
      await stack?.close();
      if (workDir) await rm(workDir, { recursive: true, force: true });
    });

    it('is the version the baseline was written for, and the baseline names only its server scenarios, each once and with why', async () => {
      // Given
      const installed = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
      const entries = [...baseline.notRun, ...baseline.notPassed];

      // Then
      expect(installed.version).toBe(baseline.conformance);
      expect(serverScenarios.length).toBeGreaterThan(20);
      expect(entries.filter((entry) => !serverScenarios.includes(entry.scenario))).toEqual([]);
      expect(new Set(entries.map((entry) => entry.scenario)).size).toBe(entries.length);
      expect(entries.filter((entry) => entry.why.trim().length < 20)).toEqual([]);
    });

    it('passes every server scenario that needs no reference fixture, except the baselined ones, which still do not pass', async () => {
      // Given
      const notRun = new Set(baseline.notRun.map((entry) => entry.scenario));
      const notPassed = new Set(baseline.notPassed.map((entry) => entry.scenario));
      const scenarios = serverScenarios.filter((scenario) => !notRun.has(scenario));

      // When
      const results = await Promise.all(
        scenarios.map(async (scenario) => {
          const outputDir = await mkdtemp(join(workDir, `${scenario}-`));
          await conformance(
            ['server', '--url', `${stack.url}/mcp`, '--scenario', scenario, '-o', outputDir],
            outputDir,
          );
          const [resultDir] = (await readdir(outputDir)).filter((name) => name.startsWith(`server-${scenario}-`));
          if (resultDir === undefined) throw new Error(`${scenario}: no results saved in ${outputDir}`);
          const checks = JSON.parse(await readFile(join(outputDir, resultDir, 'checks.json'), 'utf8')) as Check[];
          return { scenario, ...outcomeOf(checks) };
        }),
      );

      // Then
      expect(scenarios).toEqual(expect.arrayContaining(['server-initialize', 'ping', 'tools-list', 'resources-list']));
      const unexpected = results
        .filter((result) => result.outcome !== 'passed' && !notPassed.has(result.scenario))
        .map((result) => `${result.scenario} ${result.outcome}: ${result.detail}`);
      expect.soft(unexpected, 'scenarios that do not pass and are not in the baseline').toEqual([]);
      const stale = results
        .filter((result) => result.outcome === 'passed' && notPassed.has(result.scenario))
        .map((result) => `${result.scenario} passes now: remove it from the baseline`);
      expect.soft(stale, 'baselined scenarios that pass now').toEqual([]);
      expect(results.filter((result) => result.outcome === 'passed').length).toBe(scenarios.length - notPassed.size);
    }, 60_000);
  },
);
