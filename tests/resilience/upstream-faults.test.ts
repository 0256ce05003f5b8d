import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../scripts/lib/processes.js';
import { type TrainedModel, trainSmallModel } from '../../test-support/trained-model.js';
import { forEachConcurrently, NoAnswer, type RequestSpec, send, Tally } from './support/http.js';
import { removeScratch, type ServiceProcess, startService } from './support/services.js';

/**
 * Upstreams that are slow, failing, dropping connections, oversized, dead or hung, with a short request deadline:
 * every request must be answered within the deadline (plus 100 ms of slack for the answer's way back) with the
 * documented status and detail, the process must stay up, and requests must succeed again by themselves once the
 * upstream is back.
 */
const DEADLINE_MS = 1000;
const SLACK_MS = 100;
const REQUESTS_PER_PHASE = 16;
const CONCURRENCY = 4;

const MET = 'Met Collection API';
const SEARCH: RequestSpec = { path: '/api/search?title=The%20Death%20of%20Socrates' };
const SOCRATES_IMAGE = '"https://images.metmuseum.org/CRDImages/ep/original/DP102929.jpg"';
const PREDICT: RequestSpec = {
  method: 'POST',
  path: '/api/v1/price/predict',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ id: 1, grossLivingArea: 1710, yearBuilt: 2003, garageCars: 2 }),
};

interface Phase {
  name: string;
  sent: number;
  statuses: Tally;
  details: Set<string>;
  maxMs: number;
  noAnswer: Tally;
}

/** Sends a phase's requests, 4 at a time, each on a connection of its own, recording every answer. */
async function phase(service: ServiceProcess, name: string, spec: RequestSpec): Promise<Phase> {
  const result: Phase = { name, sent: 0, statuses: new Tally(), details: new Set(), maxMs: 0, noAnswer: new Tally() };
  await forEachConcurrently(Array.from({ length: REQUESTS_PER_PHASE }), CONCURRENCY, async () => {
    result.sent++;
    try {
      const answer = await send(service.port, spec, { timeoutMs: 5000 });
      result.statuses.add(answer.status);
      result.maxMs = Math.max(result.maxMs, answer.ms);
      result.details.add(answer.status === 200 ? answer.body : (JSON.parse(answer.body) as { detail: string }).detail);
    } catch (error) {
      if (!(error instanceof NoAnswer)) throw error;
      result.noAnswer.add(error.code);
      result.maxMs = Math.max(result.maxMs, error.ms);
    }
  });
  return result;
}

function report(service: string, phases: Phase[]): void {
  for (const { name, sent, statuses, maxMs, noAnswer, details } of phases) {
    console.log(
      `resilience: ${service} ${name}: sent ${sent}, statuses ${statuses}, no answer ${noAnswer}, ` +
        `max latency ${maxMs.toFixed(0)} ms, detail ${JSON.stringify([...details])}`,
    );
  }
}

/** Every request of the phase answered with this status and detail, within the deadline. */
function expectAnswered(result: Phase, status: number, detail: string): void {
  expect(result.noAnswer.toString(), result.name).toBe('none');
  expect(result.statuses.toString(), result.name).toBe(`${status}×${REQUESTS_PER_PHASE}`);
  expect([...result.details], result.name).toEqual([detail]);
  expect(result.maxMs, result.name).toBeLessThanOrEqual(DEADLINE_MS + SLACK_MS);
}

/** Polls until `spec` answers 200, the way a client retrying would find the upstream back; the time it took. */
async function untilServed(service: ServiceProcess, spec: RequestSpec, timeoutMs = 10_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const answer = await send(service.port, spec, { timeoutMs: 5000 });
    if (answer.status === 200) return performance.now() - started;
    await sleep(50);
  }
  throw new Error(`${service.name} did not serve ${spec.path} again within ${timeoutMs} ms`);
}

async function expectStillUp(service: ServiceProcess, pid: number): Promise<void> {
  expect(service.alive()).toBe(true);
  expect(service.pid).toBe(pid);
  expect((await send(service.port, { path: '/health/live' })).status).toBe(200);
  // Readiness ignores neighbours: the replica stays in rotation and answers for them itself.
  expect((await send(service.port, { path: '/health/ready' })).status).toBe(200);
}

/** Starts a plain server on 127.0.0.1 and resolves to its port; `close` also ends the connections it holds. */
function listen(server: Server | ReturnType<typeof createTcpServer>, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : 0);
    });
  });
}

describe('upstream faults', () => {
  const started: ServiceProcess[] = [];
  const start = async (...args: Parameters<typeof startService>) => {
    const service = await startService(...args);
    started.push(service);
    return service;
  };
  const servers: { close(): void }[] = [];
  const shortDeadline = { requestTimeoutMs: DEADLINE_MS };
  let model: TrainedModel;

  beforeAll(async () => {
    model = await trainSmallModel();
  }, 60_000);
  afterEach(async () => {
    for (const server of servers.splice(0)) server.close();
    await Promise.all(started.splice(0).map((service) => service.kill()));
  });
  afterAll(async () => {
    await model?.remove();
    await removeScratch();
  });

  it('Given art-search with a 1 s deadline and no cache, When the Met is slow, failing, dropping connections or down, Then every request is answered in time with 504 or 502, and served again once the Met is back', async () => {
    // Given
    const emulatorPort = await freePort();
    let emulator = await start('met-emulator', { port: emulatorPort });
    const service = await start('art-search', {
      env: { MET_API_URL: emulator.url, CACHE_ENABLED: 'false' },
      config: shortDeadline,
    });
    const { pid } = service;
    const setFault = async (fault: object) => {
      const answer = await send(emulatorPort, {
        method: 'PUT',
        path: '/__emulator/faults/*',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(fault),
      });
      expect(answer.status, answer.body).toBeLessThan(300);
    };

    // When
    const phases: Phase[] = [await phase(service, 'healthy Met', SEARCH)];
    await setFault({ latencyMs: DEADLINE_MS + 500 });
    phases.push(await phase(service, `Met ${DEADLINE_MS + 500} ms late`, SEARCH));
    await setFault({ status: 503 });
    phases.push(await phase(service, 'Met answering 503', SEARCH));
    await setFault({ reset: true });
    phases.push(await phase(service, 'Met resetting connections', SEARCH));
    await send(emulatorPort, { method: 'DELETE', path: '/__emulator/faults' });
    const recoveredMs = await untilServed(service, SEARCH);
    phases.push(await phase(service, 'Met healthy again', SEARCH));
    await emulator.kill();
    phases.push(await phase(service, 'Met down (SIGKILL)', SEARCH));
    await expectStillUp(service, pid);
    emulator = await start('met-emulator', { port: emulatorPort });
    const restartedMs = await untilServed(service, SEARCH);
    phases.push(await phase(service, 'Met restarted on the same port', SEARCH));

    // Then
    report('art-search', phases);
    console.log(
      `resilience: art-search served again ${recoveredMs.toFixed(0)} ms after the faults were cleared and ` +
        `${restartedMs.toFixed(0)} ms after the Met restarted`,
    );
    const [healthy, late, failing, resetting, healthyAgain, down, restarted] = phases as [Phase, ...Phase[]];
    expectAnswered(healthy, 200, SOCRATES_IMAGE);
    expectAnswered(late as Phase, 504, `${MET} did not answer within the request's deadline of ${DEADLINE_MS} ms.`);
    expectAnswered(failing as Phase, 502, `${MET} answered HTTP 503.`);
    expectAnswered(resetting as Phase, 502, `${MET} dropped the connection.`);
    expectAnswered(healthyAgain as Phase, 200, SOCRATES_IMAGE);
    expectAnswered(down as Phase, 502, `${MET} refused the connection.`);
    expectAnswered(restarted as Phase, 200, SOCRATES_IMAGE);
    await expectStillUp(service, pid);
  }, 60_000);

  it('Given art-search reading at most 64 KiB from the Met, When the Met answers 256 KiB (with and without Content-Length), Then it answers 502 too_large in time, and serves again once the answers are normal', async () => {
    // Given: a stand-in Met that relays to the emulator, or answers an oversized search when told to
    const emulator = await start('met-emulator');
    let oversized = false;
    let chunked = false;
    const huge = JSON.stringify({ total: 40_000, objectIDs: Array.from({ length: 40_000 }, (_, id) => 100_000 + id) });
    const fakeMet = createHttpServer(async (request, response) => {
      if (oversized) {
        chunked = !chunked;
        response.writeHead(200, chunked ? { 'content-type': 'application/json' } : { 'content-length': huge.length });
        // In 16 KiB pieces, so the refusal of an answer without a length happens while it streams in.
        for (let offset = 0; offset < huge.length; offset += 16_384)
          response.write(huge.slice(offset, offset + 16_384));
        response.end();
        return;
      }
      const upstream = await fetch(emulator.url + request.url);
      response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    });
    servers.push({ close: () => fakeMet.close() && fakeMet.closeAllConnections() });
    const fakeMetPort = await listen(fakeMet);
    const service = await start('art-search', {
      env: { MET_API_URL: `http://127.0.0.1:${fakeMetPort}`, CACHE_ENABLED: 'false' },
      config: { ...shortDeadline, met: { maxResponseBytes: 65_536 } },
    });

    // When
    oversized = true;
    const tooLarge = await phase(service, 'Met answering 256 KiB', SEARCH);
    oversized = false;
    const recoveredMs = await untilServed(service, SEARCH);
    const normal = await phase(service, 'Met answering normally again', SEARCH);

    // Then
    report('art-search', [tooLarge, normal]);
    console.log(`resilience: art-search served again ${recoveredMs.toFixed(0)} ms after the Met's answers shrank`);
    expectAnswered(tooLarge, 502, `${MET} answered with more than 65536 bytes.`);
    expectAnswered(normal, 200, SOCRATES_IMAGE);
    await expectStillUp(service, service.pid);
  }, 60_000);

  it('Given the orchestrator with a 1 s deadline, When the model server is killed, replaced by one that never answers, then restarted on its port, Then every request is answered in time with 503 or 504, and priced again by itself', async () => {
    // Given
    const modelServerPort = await freePort();
    let modelServer = await start('model-server', { port: modelServerPort, env: { MODEL_URI: model.modelDir } });
    const service = await start('price-orchestrator', {
      env: { MODEL_SERVER_URL: modelServer.url },
      config: shortDeadline,
    });
    const { pid } = service;

    // When
    const phases: Phase[] = [await phase(service, 'model server up', PREDICT)];
    await modelServer.kill();
    phases.push(await phase(service, 'model server killed (SIGKILL)', PREDICT));
    await expectStillUp(service, pid);
    // Accepts connections and reads requests, but never answers: a model server stuck in a long computation.
    const held = new Set<Socket>();
    const hung = createTcpServer((socket) => {
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      socket.resume();
    });
    await listen(hung, modelServerPort);
    phases.push(await phase(service, 'model server hung', PREDICT));
    hung.close();
    for (const socket of held) socket.destroy();
    modelServer = await start('model-server', { port: modelServerPort, env: { MODEL_URI: model.modelDir } });
    const restartedMs = await untilServed(service, PREDICT);
    phases.push(await phase(service, 'model server restarted on the same port', PREDICT));

    // Then
    report('price-orchestrator', phases);
    console.log(
      `resilience: price-orchestrator priced again ${restartedMs.toFixed(0)} ms after the model server restarted`,
    );
    const [up, killed, hanging, restarted] = phases as [Phase, Phase, Phase, Phase];
    expect(up.statuses.toString()).toBe(`200×${REQUESTS_PER_PHASE}`);
    expectAnswered(killed, 503, 'Model server is unavailable: it refused the connection.');
    expectAnswered(hanging, 504, `Model server did not answer within the request's deadline of ${DEADLINE_MS} ms.`);
    expect(restarted.statuses.toString()).toBe(`200×${REQUESTS_PER_PHASE}`);
    expect(restarted.maxMs).toBeLessThanOrEqual(DEADLINE_MS);
    await expectStillUp(service, pid);
  }, 60_000);
});
