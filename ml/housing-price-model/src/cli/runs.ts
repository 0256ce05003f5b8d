import { parseArgs } from 'node:util';
import { DEFAULT_RUNS_DIR } from '../package-paths.js';
import { formatRunListing, listRuns } from '../runs/list-runs.js';
import { isMainModule, resolveUserPath, UsageError, usageErrorFrom } from './cli-support.js';

export const RUNS_USAGE = `Usage: npm run runs -- [options]

Lists training runs, newest first, with their validation metrics; the lowest RMSE is marked best.

Options:
  --runs-dir <dir>   where run directories are (default: ml/housing-price-model/runs)
  -h, --help         show this help
`;

/**
 * Parses the `runs` flags.
 *
 * @throws UsageError on an unknown flag, a missing value or a stray argument.
 */
export function parseRunsArgs(args: string[], env: NodeJS.ProcessEnv = process.env): { runsDir: string } | 'help' {
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { 'runs-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) return 'help';
    const runsDir = values['runs-dir'];
    if (runsDir !== undefined && runsDir.trim() === '') throw new UsageError('--runs-dir needs a non-empty value');
    return { runsDir: runsDir === undefined ? DEFAULT_RUNS_DIR : resolveUserPath(runsDir, env) };
  } catch (error) {
    throw error instanceof UsageError ? error : usageErrorFrom(error);
  }
}

/** Runs `runs`; returns the process exit code (0 ok, 2 usage). */
export async function runRunsCli(args: string[]): Promise<number> {
  let options: { runsDir: string } | 'help';
  try {
    options = parseRunsArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`runs: ${error.message}\\n\\n${RUNS_USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(RUNS_USAGE);
    return 0;
  }
  process.stdout.write(formatRunListing(await listRuns(options.runsDir), options.runsDir));
  return 0;
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await runRunsCli(process.argv.slice(2));
}
