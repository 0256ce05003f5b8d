import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** A command-line mistake: printed with the usage text, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Rewrites node:util parseArgs errors into short messages that name the flag. */
export function usageErrorFrom(error: unknown): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown flag ${flag ?? message}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') return new UsageError(`flag ${flag ?? ''} needs a value`.trim());
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']+)'/.exec(message)?.[1];
    return new UsageError(`unexpected argument ${argument ? `'${argument}'` : ''}; every option is a --flag`.trim());
  }
  return new UsageError(message);
}

/** Parses a whole number flag value within bounds; the message names the flag, the value and the allowed range. */
export function parseWholeNumber(flag: string, value: string, min: number, max: number): number {
  const number = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`--${flag} must be a whole number from ${min} to ${max}, got '${value}'`);
  }
  return number;
}

/**
 * A path from the command line, resolved against the directory the user ran npm from (`INIT_CWD`), since npm runs
 * workspace scripts from the workspace folder.
 */
export function resolveUserPath(path: string, env: NodeJS.ProcessEnv = process.env): string {
  return isAbsolute(path) ? path : resolve(env.INIT_CWD ?? process.cwd(), path);
}

/** Whether the module at `moduleUrl` is the script node was started with (not imported by a test). */
export function isMainModule(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && pathToFileURL(resolve(script)).href === moduleUrl;
}

/**
 * Progress on stderr: a redrawn bar on a terminal, otherwise a plain line every `every` trees (and on the last),
 * so CI logs stay short.
 */
export function createProgressReporter(
  stream: NodeJS.WriteStream,
  every = 10,
): { update: (done: number, total: number) => void; finish: () => void } {
  const started = Date.now();
  let drawn = false;
  const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
  if (stream.isTTY) {
    return {
      update(done, total) {
        const width = 30;
        const filled = Math.round((done / total) * width);
        stream.write(
          `\rTraining [${'█'.repeat(filled)}${'░'.repeat(width - filled)}] ${done}/${total} trees  ${seconds()} s`,
        );
        drawn = true;
      },
      finish() {
        if (drawn) stream.write('\n');
        drawn = false;
      },
    };
  }
  return {
    update(done, total) {
      if (done % every === 0 || done === total) stream.write(`trees ${done}/${total} (${seconds()} s)\n`);
    },
    finish() {},
  };
}
