/**
 * Load-run helpers shared by the benchmarks: autocannon as a promise, a warm-up plus a measured run whose p50 and p99
 * come from every response's own time (autocannon's histogram keeps whole milliseconds), and a line about the
 * machine the numbers came from.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg } from 'node:os';
import autocannon from 'autocannon';

export interface LoadResult {
  requestsPerSecond: number;
  /** Milliseconds, from every measured 200 response's own time. */
  p50: number;
  p99: number;
  /** Measured 200 responses. */
  responses: number;
  non2xx: number;
  errors: number;
}

/** The value at `fraction` (0–1) of ascending `sorted` values (nearest rank); NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number;
}

/** Runs autocannon to the end; `onTime` gets the time in milliseconds of every 200 response. */
export function runAutocannon(options: autocannon.Options, onTime?: (ms: number) => void): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    const instance = autocannon(options, (error: unknown, result: autocannon.Result) =>
      error ? reject(error) : resolve(result),
    );
    if (onTime) instance.on('response', (_client, statusCode, _bytes, ms) => statusCode === 200 && onTime(ms));
  });
}

export interface MeasureOptions {
  /** Seconds of unmeasured load first, for each load (0: none). */
  warmupSeconds: number;
  /** Seconds of measured load, for each load. */
  durationSeconds: number;
  /**
   * Slices the measured seconds are cut into, taking turns between the loads (default 1). On a shared machine the
   * loads of a comparison then see the same neighbours, instead of one of them catching a busy spell.
   */
  rounds?: number;
  /** Called before each measured slice of load `index`; what it returns is called when the slice ends. */
  aroundSlice?: (index: number) => () => void;
}

/** A warm-up run, then a measured run of the same load. */
export async function measureLoad(options: autocannon.Options, timing: MeasureOptions): Promise<LoadResult> {
  return (await measureLoads([options], timing))[0] as LoadResult;
}

/**
 * Warms up each load, then measures them in turns: `rounds` slices of `durationSeconds / rounds` each, the
 * results of a load pooled over its slices.
 */
export async function measureLoads(loads: autocannon.Options[], timing: MeasureOptions): Promise<LoadResult[]> {
  const rounds = Math.max(1, Math.round(timing.rounds ?? 1));
  const slice = timing.durationSeconds / rounds;
  const pooled = loads.map(() => ({ times: [] as number[], requests: 0, seconds: 0, non2xx: 0, errors: 0 }));
  if (timing.warmupSeconds > 0)
    for (const options of loads) await runAutocannon({ ...options, duration: timing.warmupSeconds });
  for (let round = 0; round < rounds; round++) {
    for (const [index, options] of loads.entries()) {
      const total = pooled[index] as (typeof pooled)[number];
      const sliceEnded = timing.aroundSlice?.(index);
      const result = await runAutocannon({ ...options, duration: slice }, (ms) => total.times.push(ms));
      sliceEnded?.();
      total.requests += result.requests.total;
      total.seconds += result.duration;
      total.non2xx += result.non2xx;
      total.errors += result.errors + result.timeouts;
    }
  }
  return pooled.map((total) => {
    const sorted = Float64Array.from(total.times).sort();
    return {
      requestsPerSecond: total.requests / total.seconds,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
      responses: sorted.length,
      non2xx: total.non2xx,
      errors: total.errors,
    };
  });
}

// Linux's clock tick for /proc times (USER_HZ), 100 on every mainstream architecture.
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * CPU seconds (user + system, every thread) a process has used so far, from /proc; `undefined` where there is no
 * /proc (then the benches leave CPU figures out).
 */
export function processCpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may hold spaces: utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** The 1-minute load average: anything near the core count or above means other work shared the CPUs. */
export const loadAverage = (): string => (loadavg()[0] ?? 0).toFixed(2);

/** Cores, CPU model, Node version, platform and the current load average. */
export function machineLine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return (
    `${availableParallelism()} cores (${cpu}), node ${process.version}, ${process.platform}/${process.arch}, ` +
    `load average ${loadAverage()}`
  );
}

/** How a target line ends. */
export const verdict = (met: boolean): string => (met ? 'met' : 'MISSED');

/** Milliseconds with three decimals below 10, one above. */
export const formatMs = (value: number): string => (value < 10 ? value.toFixed(3) : value.toFixed(1));
