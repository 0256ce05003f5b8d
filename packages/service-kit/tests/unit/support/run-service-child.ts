/**
 * A tiny service run as a child process by run.test.ts, so SIGTERM and process.exit are real.
 *
 * Usage: run-service-child.ts <port> <shutdownGraceMs> <slow-route: finishes | hangs>
 * It logs JSON lines to stdout: the banner line `child listening on <url>` once listening, and
 * `slow request started` when /slow is entered. /slow answers only after shutdown has begun (or never).
 */
import { createServiceApp, runService } from '@mlms/service-kit';
import { quietServiceTestSettings } from '../../../../../test-support/config.js';

const [portArgument = '0', graceArgument = '5000', slowRoute = 'finishes'] = process.argv.slice(2);

const app = await createServiceApp({
  name: 'run-service-child',
  config: { ...quietServiceTestSettings, logLevel: 'info' },
  openApi: { title: 'Child', version: '0.0.0', description: 'Started by run.test.ts.' },
});

let shutdownBegan: () => void = () => {};
const shutdownHasBegun = new Promise<void>((resolve) => {
  shutdownBegan = resolve;
});
app.addHook('preClose', async () => shutdownBegan());

app.get('/slow', async (request) => {
  request.log.info('slow request started');
  if (slowRoute === 'hangs') await new Promise<never>(() => {});
  await shutdownHasBegun;
  // Still in flight while the server stops accepting connections: the answer must get out regardless.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { finished: true };
});

await runService(app, {
  host: '127.0.0.1',
  port: Number(portArgument),
  shutdownGraceMs: Number(graceArgument),
  banner: (url) => [`child listening on ${url}`],
});
