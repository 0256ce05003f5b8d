import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../../src/cli/cli-support.js';
import { parseRunsArgs, runRunsCli } from '../../../src/cli/runs.js';
import { parseTrainArgs, runTrainCli } from '../../../src/cli/train.js';
import { DEFAULT_DATA_PATH, DEFAULT_RUNS_DIR } from '../../../src/package-paths.js';

const ENV = { INIT_CWD: '/home/user/project' };

describe('parseTrainArgs', () => {
  it('defaults to seed 42, 100 trees, all cores, the bundled data and the package runs directory', () => {
    // Given
    const args: string[] = [];

    // When
    const options = parseTrainArgs(args, ENV);

    // Then
    expect(options).toEqual({
      seed: 42,
      trees: 100,
      threads: availableParallelism(),
      dataPath: DEFAULT_DATA_PATH,
      runsDir: DEFAULT_RUNS_DIR,
    });
  });

  it('reads every flag and resolves relative paths against the directory npm was started from', () => {
    // Given
    const args = [
      '--seed',
      '7',
      '--trees=25',
      '--threads',
      '3',
      '--data',
      'my.csv',
      '--runs-dir',
      '/tmp/r',
      '--out',
      'm',
    ];

    // When
    const options = parseTrainArgs(args, ENV);

    // Then
    expect(options).toEqual({
      seed: 7,
      trees: 25,
      threads: 3,
      dataPath: '/home/user/project/my.csv',
      runsDir: '/tmp/r',
      outDir: '/home/user/project/m',
    });
  });

  it('returns help for --help and -h', () => {
    // Given / When / Then
    expect(parseTrainArgs(['--help'], ENV)).toBe('help');
    expect(parseTrainArgs(['-h', '--trees', 'x'], ENV)).toBe('help');
  });

  it.each([
    [['--tres', '5'], 'unknown flag --tres'],
    [['--trees'], 'flag --trees needs a value'],
    [['--trees', '0'], "--trees must be a whole number from 1 to 10000, got '0'"],
    [['--trees', '2.5'], "--trees must be a whole number from 1 to 10000, got '2.5'"],
    [['--seed', '-1'], 'flag --seed needs a value'],
    [['--seed', '4294967296'], "--seed must be a whole number from 0 to 4294967295, got '4294967296'"],
    [['--threads', 'many'], "--threads must be a whole number from 1 to 1024, got 'many'"],
    [['--data', ''], '--data needs a non-empty value'],
    [['extra'], "unexpected argument 'extra'; every option is a --flag"],
  ])('rejects %j with "%s"', (args, message) => {
    // Given / When
    const parse = () => parseTrainArgs(args, ENV);

    // Then
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });
});

describe('parseRunsArgs', () => {
  it('defaults to the package runs directory and rejects unknown flags', () => {
    // Given / When / Then
    expect(parseRunsArgs([], ENV)).toEqual({ runsDir: DEFAULT_RUNS_DIR });
    expect(parseRunsArgs(['--runs-dir', 'r'], ENV)).toEqual({ runsDir: '/home/user/project/r' });
    expect(() => parseRunsArgs(['--best'], ENV)).toThrow('unknown flag --best');
  });
});

describe('CLI exit codes', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('exits 2 and prints the message with the usage on a bad train flag', async () => {
    // Given
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);

    // When
    const code = await runTrainCli(['--trees', 'lots']);

    // Then
    expect(code).toBe(2);
    const printed = stderr.mock.calls.map(([text]) => String(text)).join('');
    expect(printed).toContain("train: --trees must be a whole number from 1 to 10000, got 'lots'");
    expect(printed).toContain('Usage: npm run train -- [options]');
  });

  it('exits 2 on a bad runs flag and 0 for runs --help', async () => {
    // Given
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);

    // When
    const bad = await runRunsCli(['--nope']);
    const help = await runRunsCli(['--help']);

    // Then
    expect(bad).toBe(2);
    expect(help).toBe(0);
    expect(String(stdout.mock.calls[0]?.[0])).toContain('Usage: npm run runs');
  });
});
