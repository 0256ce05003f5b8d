import { type DestinationStream, pino } from 'pino';

/** Bytes of log lines gathered before a write, and the longest a line waits for them. */
export const LOG_BLOCK_BYTES = 4096;
export const LOG_FLUSH_MS = 100;

export interface BufferedLogDestination {
  stream: DestinationStream;
  /**
   * Stops the flush timer and writes what is gathered. Lines logged later (a shutdown's last words) are written when
   * the process exits.
   */
  close(): void;
}

/**
 * Where a service's JSON log lines go: stdout (or `dest`), written in blocks of at least `blockBytes` and at the
 * latest `flushMs` after a line was logged. Writing each line on its own cost a write call, a thread-pool job and a
 * callback per request, 10–20 µs of a ~150 µs request (`npm run bench:price`); in blocks that is shared by ~20
 * lines. A line still shows within `flushMs`, and pino writes what is gathered synchronously when the process
 * exits (a crash included); only a SIGKILL loses the last `flushMs` of lines.
 */
export function bufferedLogDestination(
  options: { dest?: number | string; blockBytes?: number; flushMs?: number } = {},
): BufferedLogDestination {
  const destination = pino.destination({
    dest: options.dest ?? 1,
    sync: false,
    minLength: options.blockBytes ?? LOG_BLOCK_BYTES,
  });
  const flush = () => {
    try {
      destination.flush();
    } catch {
      // Only a destroyed destination throws (stdout went away); its lines are lost either way, and a throw from the
      // timer would stop the service.
    }
  };
  // The timer flushes only after lines were logged: an idle service makes no write calls. Two ticks, because a flush
  // while a write is in flight does nothing, and the next tick then writes what was left.
  let ticksToFlush = 0;
  const timer = setInterval(() => {
    if (ticksToFlush === 0) return;
    ticksToFlush--;
    flush();
  }, options.flushMs ?? LOG_FLUSH_MS).unref();
  const stream: DestinationStream = {
    write(line: string) {
      ticksToFlush = 2;
      destination.write(line);
    },
  };
  return {
    stream,
    close() {
      clearInterval(timer);
      flush();
    },
  };
}
