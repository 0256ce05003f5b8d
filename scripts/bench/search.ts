/**
 * `npm run bench:search`: art-search's throughput and latency on loopback against the Met emulator, next to a
 * bare node:http + undici handler making the same two upstream calls (the floor), measured in the same run so
 * the ratio means something on whatever machine runs it. Each server runs in its own process; autocannon runs
 * here. Settings: BENCH_DURATION (seconds, default 10), BENCH_CONNECTIONS (default 50).
 */
import type { ChildProcess } from 'node:child_process';
import { sampleObjects } from '@mlms/met-emulator';
import autocannon from 'autocannon';
import { startTypeScript, stopChild, waitForHttp } from '../lib/processes.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const warmupSeconds = 2;
const ports = { emulator: 18090, floor: 18091, artSearch: 18092 };
const metApiUrl = `http://127.0.0.1:${ports.emulator}`;
const children: ChildProcess[] = [];

interface Result {
  name: string;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function startProcess(entry: string, env: Record<string, string>, readyUrl: string): Promise<ChildProcess> {
  // Logs go nowhere, but they are still produced: art-search pays for its production logging here.
  const child = startTypeScript(entry, { env, stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(child);
  if (!(await waitForHttp(readyUrl))) throw new Error(`${readyUrl} did not come up within 30 s`);
  return child;
}

/** Titles whose top search hit has an image, so art-search and the floor do the same two upstream calls. */
async function titlesWithImageOnTopHit(): Promise<string[]> {
  const titles: string[] = [];
  for (const object of sampleObjects) {
    if (titles.length >= 20) break;
    const search = (await (
      await fetch(
        `${metApiUrl}/public/collection/v1/search?title=true&hasImages=true&q=${encodeURIComponent(object.title)}`,
      )
    ).json()) as { objectIDs: number[] | null };
    const top = search.objectIDs?.[0];
    if (top === undefined) continue;
    const record = (await (await fetch(`${metApiUrl}/public/collection/v1/objects/${top}`)).json()) as {
      primaryImage: string;
    };
    if (record.primaryImage !== '' && !titles.includes(object.title)) titles.push(object.title);
  }
  return titles;
}

async function load(name: string, port: number, titles: string[]): Promise<Result> {
  const requests = titles.map((title) => ({
    method: 'GET' as const,
    path: `/api/search?title=${encodeURIComponent(title)}`,
  }));
  const options = { url: `http://127.0.0.1:${port}`, connections, requests };
  await autocannon({ ...options, duration: warmupSeconds });
  const result = await autocannon({ ...options, duration });
  return {
    name,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function artSearch(cacheEnabled: boolean): Promise<ChildProcess> {
  return startProcess(
    'services/art-search/src/server.ts',
    {
      ENV: 'local',
      PORT: String(ports.artSearch),
      MET_API_URL: metApiUrl,
      CACHE_ENABLED: String(cacheEnabled),
      LOG_PRETTY: 'false',
      LOG_LEVEL: 'info',
    },
    `http://127.0.0.1:${ports.artSearch}/health/live`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:search — ${duration} s per run after ${warmupSeconds} s warm-up, ${connections} connections\n`,
  );
  await startProcess(
    'tools/met-emulator/src/main.ts',
    { MET_EMULATOR_PORT: String(ports.emulator) },
    `${metApiUrl}/public/collection/v1/departments`,
  );
  const titles = await titlesWithImageOnTopHit();
  process.stdout.write(`${titles.length} titles in rotation, e.g. "${titles[0]}"\n`);

  const floorProcess = await startProcess(
    'scripts/bench/floor-server.ts',
    { PORT: String(ports.floor), MET_API_URL: metApiUrl },
    `http://127.0.0.1:${ports.floor}/`,
  );
  const floor = await load('floor (node:http + undici)', ports.floor, titles);
  await stopChild(floorProcess, 5000);

  let server = await artSearch(false);
  const cacheOff = await load('art-search, cache off', ports.artSearch, titles);
  await stopChild(server, 5000);

  server = await artSearch(true);
  const cacheOn = await load('art-search, cache on', ports.artSearch, titles);
  await stopChild(server, 5000);

  const rows = [floor, cacheOff, cacheOn];
  const line = (cells: string[]) =>
    `${cells[0]?.padEnd(30)}${cells
      .slice(1)
      .map((cell) => cell.padStart(11))
      .join('')}`;
  process.stdout.write(`\n${line(['target', 'req/s', 'p50 ms', 'p99 ms', 'vs floor', 'non-2xx', 'errors'])}\n`);
  for (const row of rows) {
    process.stdout.write(
      `${line([
        row.name,
        row.requestsPerSecond.toFixed(0),
        String(row.p50),
        String(row.p99),
        `${(row.requestsPerSecond / floor.requestsPerSecond).toFixed(2)}x`,
        String(row.non2xx),
        String(row.errors),
      ])}\n`,
    );
  }
  const ratio = cacheOff.requestsPerSecond / floor.requestsPerSecond;
  process.stdout.write(
    `\ntargets: cache off >= 0.70x floor: ${ratio.toFixed(2)}x ${ratio >= 0.7 ? 'met' : 'MISSED'}; ` +
      `p99 < 25 ms: cache off ${cacheOff.p99} ms ${cacheOff.p99 < 25 ? 'met' : 'MISSED'}, ` +
      `cache on ${cacheOn.p99} ms ${cacheOn.p99 < 25 ? 'met' : 'MISSED'}\n` +
      'With the cache off art-search neither stores nor coalesces: both make the same two Met calls per request.\n',
  );
}

try {
  await main();
} finally {
  await Promise.all(children.map((child) => stopChild(child, 5000)));
}
