import { readFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type TrainedModel, trainSmallModel } from '../../test-support/trained-model.js';
import { type Answer, NoAnswer, type RequestSpec, send, Tally } from './support/http.js';
import { removeScratch, type ServiceProcess, type StartOptions, startService } from './support/services.js';

/**
 * SIGTERM while 8 keep-alive clients keep a service busy, with a load balancer's readiness poller beside them: the
 * clients stop sending new requests once the poller sees 503, as a load balancer stops routing to the replica, and
 * every request already sent must be answered. The met-emulator is not here: it does not use the kit's runService
 * (its main.ts closes at once on SIGTERM, with no drain), so it has no graceful shutdown to prove.
 */
const DRAIN_MS = 1000;
const GRACE_MS = 3000;
const CLIENTS = 8;
const POLL_EVERY_MS = 20;
const STEADY_MS = 1000;

interface Poll {
  /** When the answer (or the failure) arrived, on the `performance.now()` clock. */
  at: number;
  status?: number;
  error?: string;
}

interface ShutdownRun {
  sent: number;
  answered: number;
  statuses: Tally;
  lost: Tally;
  polls: Poll[];
  sigtermAt: number;
  firstNotReady: Poll | undefined;
  closed: Poll | undefined;
  probe: Answer | NoAnswer | undefined;
  /** A slow request sent during the drain, still in flight when the listener closes; its send and answer times. */
  straggler: { sentMs: number; answer: Answer | NoAnswer; answeredMs: number } | undefined;
  exit: { code: number | null; signal: string | null; ms: number };
}

/** A request sent this long after SIGTERM that takes long enough to be in flight when the listener closes. */
interface Straggler {
  afterMs: number;
  spec: RequestSpec;
}

async function shutdownUnderLoad(
  service: ServiceProcess,
  work: RequestSpec,
  straggler?: Straggler,
): Promise<ShutdownRun> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const pollAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const statuses = new Tally();
  const lost = new Tally();
  let sent = 0;
  let answered = 0;
  let outOfRotation = false;
  let probe: Promise<Answer | NoAnswer> | undefined;
  const polls: Poll[] = [];

  const client = async () => {
    while (!outOfRotation) {
      sent++;
      try {
        statuses.add((await send(service.port, work, { agent })).status);
        answered++;
      } catch (error) {
        lost.add(error instanceof NoAnswer ? error.code : String(error));
      }
    }
  };
  const poller = async () => {
    for (;;) {
      try {
        const { status } = await send(service.port, { path: '/health/ready' }, { agent: pollAgent, timeoutMs: 2000 });
        polls.push({ at: performance.now(), status });
        if (status === 503 && !outOfRotation) {
          outOfRotation = true;
          // A new connection during the drain, as one from a peer that has not seen the 503 yet.
          probe = send(service.port, work, { agent: false }).catch((error: NoAnswer) => error);
        }
      } catch (error) {
        polls.push({ at: performance.now(), error: error instanceof NoAnswer ? error.code : String(error) });
        return;
      }
      await sleep(POLL_EVERY_MS);
    }
  };

  const load = Promise.all([...Array.from({ length: CLIENTS }, client), poller()]);
  await sleep(STEADY_MS);
  const sigtermAt = performance.now();
  service.child.kill('SIGTERM');
  const lateRequest =
    straggler &&
    sleep(straggler.afterMs).then(async () => {
      const sentMs = performance.now() - sigtermAt;
      const answer = await send(service.port, straggler.spec, { agent: false }).catch((error: NoAnswer) => error);
      return { sentMs, answer, answeredMs: performance.now() - sigtermAt };
    });
  const exited = await service.exited;
  // Stops the clients if readiness never turned (the test then fails on it instead of hanging).
  outOfRotation = true;
  await load;
  agent.destroy();
  pollAgent.destroy();
  return {
    sent,
    answered,
    statuses,
    lost,
    polls,
    sigtermAt,
    firstNotReady: polls.find((poll) => poll.status === 503),
    closed: polls.find((poll) => poll.error !== undefined),
    probe: await probe,
    straggler: await lateRequest,
    exit: { code: exited.code, signal: exited.signal, ms: exited.at - sigtermAt },
  };
}

function expectGracefulShutdown(name: string, run: ShutdownRun): void {
  const notReadyMs = run.firstNotReady ? run.firstNotReady.at - run.sigtermAt : Number.NaN;
  const closedMs = run.closed ? run.closed.at - run.sigtermAt : Number.NaN;
  const probeStatus = run.probe instanceof NoAnswer ? run.probe.code : run.probe?.status;
  console.log(
    `resilience: ${name} SIGTERM under load: sent ${run.sent}, answered ${run.answered}, lost ${run.lost.total()} ` +
      `(${run.lost}), statuses ${run.statuses}, 503-ready seen after ${notReadyMs.toFixed(0)} ms, ` +
      `drain probe on a new connection ${probeStatus}, listener closed after ${closedMs.toFixed(0)} ms ` +
      `(${run.closed?.error}), exit ${run.exit.code} in ${(run.exit.ms / 1000).toFixed(2)} s`,
  );

  expect(run.sent).toBeGreaterThan(50);
  expect(run.lost.toString()).toBe('none');
  expect(run.answered).toBe(run.sent);
  expect(run.statuses.keys().every((status) => status.startsWith('2'))).toBe(true);

  // Ready before the signal, 503 within ~100 ms of it, and 503 on every probe until the listener closed.
  const before = run.polls.filter((poll) => poll.at < run.sigtermAt);
  expect(before.length).toBeGreaterThan(10);
  expect(before.every((poll) => poll.status === 200)).toBe(true);
  expect(notReadyMs).toBeLessThanOrEqual(100 + POLL_EVERY_MS);
  const draining = run.polls.filter((poll) => run.firstNotReady && poll.at >= run.firstNotReady.at && !poll.error);
  expect(draining.every((poll) => poll.status === 503)).toBe(true);
  // The listener stays open for the drain; then nothing listens (or the last probe's connection is closed).
  expect(closedMs).toBeGreaterThanOrEqual(DRAIN_MS - POLL_EVERY_MS);
  expect(['ECONNREFUSED', 'ECONNRESET']).toContain(run.closed?.error);

  // A new connection during the drain is still accepted and served, and asked to close.
  expect(run.probe).not.toBeInstanceOf(NoAnswer);
  const probe = run.probe as Answer;
  expect(probe.status).toBe(200);
  expect(probe.headers.connection).toBe('close');

  if (run.straggler) {
    // Sent while the listener was open, answered after it closed: the process waited for it before exiting.
    const { sentMs, answer, answeredMs } = run.straggler;
    console.log(
      `resilience: ${name} request in flight over the close: sent ${sentMs.toFixed(0)} ms after SIGTERM, answered ` +
        `${answer instanceof NoAnswer ? answer.code : answer.status} after ${answeredMs.toFixed(0)} ms`,
    );
    expect(answer).not.toBeInstanceOf(NoAnswer);
    expect((answer as Answer).status).toBe(200);
    expect(sentMs).toBeLessThan(closedMs);
    expect(answeredMs).toBeGreaterThan(closedMs);
    expect(run.exit.ms).toBeGreaterThanOrEqual(answeredMs - POLL_EVERY_MS);
  }

  expect(run.exit).toMatchObject({ code: 0, signal: null });
  expect(run.exit.ms).toBeGreaterThanOrEqual(DRAIN_MS);
  expect(run.exit.ms).toBeLessThanOrEqual(DRAIN_MS + GRACE_MS);
}

describe('graceful shutdown under steady load', () => {
  let model: TrainedModel;
  const started: ServiceProcess[] = [];
  const start = async (...args: Parameters<typeof startService>) => {
    const service = await startService(...args);
    started.push(service);
    return service;
  };
  const draining: StartOptions = {
    env: { SHUTDOWN_DRAIN_MS: String(DRAIN_MS) },
    config: { shutdownGraceMs: GRACE_MS },
  };

  beforeAll(async () => {
    model = await trainSmallModel();
  }, 60_000);
  afterEach(async () => {
    await Promise.all(started.splice(0).map((service) => service.kill()));
  });
  afterAll(async () => {
    await model?.remove();
    await removeScratch();
  });

  it('Given art-search searching the emulator for 8 keep-alive clients, When it gets SIGTERM, Then it drains, answers every request (one in flight over the close too) and exits 0', async () => {
    // Given
    const emulator = await start('met-emulator');
    const service = await start('art-search', {
      ...draining,
      env: { ...draining.env, MET_API_URL: emulator.url },
    });

    // The load is served from art-search's cache; an uncached search waits for the slowed Met, twice (search, then
    // the object), so the one sent mid-drain is still in flight when the listener closes.
    const socrates = { path: '/api/search?title=The%20Death%20of%20Socrates' };
    expect((await send(service.port, socrates)).status).toBe(200);
    const answer = await send(emulator.port, {
      method: 'PUT',
      path: '/__emulator/faults/*',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 700 }),
    });
    expect(answer.status).toBeLessThan(300);

    // When
    const run = await shutdownUnderLoad(service, socrates, {
      afterMs: DRAIN_MS / 2,
      spec: { path: '/api/search?title=portrait' },
    });

    // Then
    expectGracefulShutdown('art-search', run);
  }, 30_000);

  it('Given the model server scoring 5 rows per request for 8 keep-alive clients, When it gets SIGTERM, Then it drains, answers every request and exits 0', async () => {
    // Given
    const body = await readFile(join(model.modelDir, 'serving_input_example.json'));
    const service = await start('model-server', { ...draining, env: { ...draining.env, MODEL_URI: model.modelDir } });

    // When
    const run = await shutdownUnderLoad(service, {
      method: 'POST',
      path: '/invocations',
      headers: { 'content-type': 'application/json' },
      body,
    });

    // Then
    expectGracefulShutdown('model-server', run);
  }, 30_000);

  it('Given the price orchestrator pricing a house for 8 keep-alive clients, When it gets SIGTERM, Then it drains, answers every request and exits 0', async () => {
    // Given
    const modelServer = await start('model-server', { env: { MODEL_URI: model.modelDir } });
    const service = await start('price-orchestrator', {
      ...draining,
      env: { ...draining.env, MODEL_SERVER_URL: modelServer.url },
    });

    // When
    const run = await shutdownUnderLoad(service, {
      method: 'POST',
      path: '/api/v1/price/predict',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 1, grossLivingArea: 1710, yearBuilt: 2003, garageCars: 2 }),
    });

    // Then
    expectGracefulShutdown('price-orchestrator', run);
  }, 30_000);
});
