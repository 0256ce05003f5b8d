import { readCliConfig } from './config.js';
import { startMetEmulator } from './server.js';

// Exit codes: 2 = bad configuration (nothing was started), 1 = failed while starting or stopping.
async function main(): Promise<void> {
  let config: ReturnType<typeof readCliConfig>;
  try {
    config = readCliConfig(process.argv.slice(2), process.env);
  } catch (error) {
    process.stderr.write(`met-emulator: ${(error as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const { url, close } = await startMetEmulator(config);
  const faultRoutes = Object.keys(config.faults);
  process.stdout.write(
    `met-emulator listening on ${url}${faultRoutes.length > 0 ? ` (faults on: ${faultRoutes.join(', ')})` : ''}` +
      `${config.botWall ? ` (bot wall: ${config.botWall.maxRequests} requests in ${config.botWall.windowMs} ms)` : ''}\n`,
  );
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    close().then(
      () => process.stdout.write(`met-emulator stopped (${signal})\n`),
      (error: unknown) => {
        process.stderr.write(`met-emulator: error while stopping: ${(error as Error).message}\n`);
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`met-emulator: failed to start: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
