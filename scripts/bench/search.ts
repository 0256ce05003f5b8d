/**
 * `npm run bench:search`: art-search's throughput and latency on loopback against the Met emulator, next to a
 * bare node:http + undici handler making the same two upstream calls (the floor), measured in the same run so
 * the ratio means something on whatever machine runs it. Each server runs in its own process, all side by side, and
 * the loads take turns in short slices so a busy spell of the machine hits all of them; autocannon runs here.
 * Settings: BENCH_DURATION (seconds per load, default 10), BENCH_CONNECTIONS (default 50), BENCH_ROUNDS (turns the
 * measured seconds are cut into, default 5).
 */
import { sampleObjects } from '@mlms/met-emulator';
import type autocannon from 'autocannon';
import { formatMs, measureLoads, verdict } from './lib/load.js';
import { BenchProcesses } from './lib/servers.js';

const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const warmupSeconds = 2;
const ports = { emulator: 18090, floor: 18091, cacheOff: 18092, cacheOn: 18089 };
const metApiUrl = `http://127.0.0.1:${ports.emulator}`;
const processes = new BenchProcesses();

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

function searches(port: number, titles: string[]): autocannon.Options {
  const requests = titles.map((title) => ({
    method: 'GET' as const,
    path: `/api/search?title=${encodeURIComponent(title)}`,
  }));
  return { url: `http://127.0.0.1:${port}`, connections, requests };
}

function artSearch(port: number, cacheEnabled: boolean) {
  return processes.start(
    'services/art-search/src/server.ts',
    {
      ENV: 'local',
      PORT: String(port),
      MET_API_URL: metApiUrl,
      CACHE_ENABLED: String(cacheEnabled),
      LOG_PRETTY: 'false',
      LOG_LEVEL: 'info',
    },
    `http://127.0.0.1:${port}/health/live`,
  );
}

async function main(): Promise<void> {
  process.stdout.write(
    `bench:search — ${duration} s per load (in ${rounds} turns, the servers alternating) after ${warmupSeconds} s ` +
      `warm-up, ${connections} connections\n`,
  );
  await processes.start(
    'tools/met-emulator/src/main.ts',
    { MET_EMULATOR_PORT: String(ports.emulator) },
    `${metApiUrl}/public/collection/v1/departments`,
  );
  const titles = await titlesWithImageOnTopHit();
  process.stdout.write(`${titles.length} titles in rotation, e.g. "${titles[0]}"\n`);

  await Promise.all([
    processes.start(
      'scripts/bench/floor-server.ts',
      { PORT: String(ports.floor), MET_API_URL: metApiUrl },
      `http://127.0.0.1:${ports.floor}/`,
    ),
    artSearch(ports.cacheOff, false),
    artSearch(ports.cacheOn, true),
  ]);
  const names = ['floor (node:http + undici)', 'art-search, cache off', 'art-search, cache on'];
  const results = await measureLoads(
    [searches(ports.floor, titles), searches(ports.cacheOff, titles), searches(ports.cacheOn, titles)],
    { warmupSeconds, durationSeconds: duration, rounds },
  );
  const [floor, cacheOff, cacheOn] = results as [(typeof results)[0], (typeof results)[0], (typeof results)[0]];

  const line = (cells: string[]) =>
    `${cells[0]?.padEnd(30)}${cells
      .slice(1)
      .map((cell) => cell.padStart(11))
      .join('')}`;
  process.stdout.write(`\n${line(['target', 'req/s', 'p50 ms', 'p99 ms', 'vs floor', 'non-2xx', 'errors'])}\n`);
  results.forEach((row, index) => {
    process.stdout.write(
      `${line([
        names[index] as string,
        row.requestsPerSecond.toFixed(0),
        formatMs(row.p50),
        formatMs(row.p99),
        `${(row.requestsPerSecond / floor.requestsPerSecond).toFixed(2)}x`,
        String(row.non2xx),
        String(row.errors),
      ])}\n`,
    );
  });
  const ratio = cacheOff.requestsPerSecond / floor.requestsPerSecond;
  process.stdout.write(
    `\ntargets: cache off >= 0.70x floor: ${ratio.toFixed(2)}x ${verdict(ratio >= 0.7)}; ` +
      `p99 < 25 ms: cache off ${formatMs(cacheOff.p99)} ms ${verdict(cacheOff.p99 < 25)}, ` +
      `cache on ${formatMs(cacheOn.p99)} ms ${verdict(cacheOn.p99 < 25)}\n` +
      'With the cache off art-search neither stores nor coalesces: both make the same two Met calls per request.\n',
  );
}

try {
  await main();
} finally {
  await processes.stopAll();
}
