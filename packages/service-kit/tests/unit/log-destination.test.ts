import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BufferedLogDestination, bufferedLogDestination } from '@mlms/service-kit';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';

const opened: BufferedLogDestination[] = [];

/** A destination on a new file, by descriptor like stdout (a path would open asynchronously). */
function logFile(options: { blockBytes?: number; flushMs?: number }) {
  const path = join(mkdtempSync(join(tmpdir(), 'log-destination-')), 'log.jsonl');
  const destination = bufferedLogDestination({ dest: openSync(path, 'a'), ...options });
  opened.push(destination);
  const logger = pino({ base: null }, destination.stream);
  const lines = () =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { msg: string });
  return { destination, logger, lines };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `read` returns `count` lines or `withinMs` passes. */
async function waitForLines<T>(read: () => T[], count: number, withinMs: number): Promise<T[]> {
  const started = performance.now();
  let lines = read();
  while (lines.length < count && performance.now() - started < withinMs) {
    await sleep(5);
    lines = read();
  }
  return lines;
}

afterEach(() => {
  for (const destination of opened.splice(0)) destination.close();
});

describe('bufferedLogDestination', () => {
  it('given a few short lines, when no block fills, then they are written together by the flush timer', async () => {
    const { logger, lines } = logFile({ blockBytes: 4096, flushMs: 50 });

    logger.info('first');
    logger.info('second');
    await sleep(10);
    const beforeTimer = lines();
    const afterTimer = await waitForLines(lines, 2, 2000);

    expect(beforeTimer).toEqual([]);
    expect(afterTimer.map((line) => line.msg)).toEqual(['first', 'second']);
  });

  it('given lines that fill a block, when logged, then they are written without waiting for the timer', async () => {
    const { logger, lines } = logFile({ blockBytes: 1024, flushMs: 60_000 });

    for (let index = 0; index < 40; index++) logger.info({ index }, 'a line of about fifty bytes');
    const written = await waitForLines(lines, 20, 2000);

    expect(written.length).toBeGreaterThanOrEqual(20);
    expect(written[0]).toMatchObject({ msg: 'a line of about fifty bytes', index: 0 });
  });

  it('given gathered lines, when the destination is closed, then they are written', async () => {
    const { destination, logger, lines } = logFile({ blockBytes: 4096, flushMs: 60_000 });

    logger.info('last words');
    destination.close();
    const written = await waitForLines(lines, 1, 2000);

    expect(written.map((line) => line.msg)).toEqual(['last words']);
  });
});
