import { parseArgs } from 'node:util';
import { DEFAULT_MODEL_SEED, DEFAULT_MODEL_TREES, trainDefaultModel } from '../default-model.js';
import { DEFAULT_MODEL_DIR } from '../package-paths.js';
import { isMainModule, usageErrorFrom } from './cli-support.js';
import { runWithProgress } from './train.js';

export const TRAIN_DEFAULT_USAGE = `Usage: npm run train:default

Trains the default model (seed ${DEFAULT_MODEL_SEED}, ${DEFAULT_MODEL_TREES} trees, bundled data) and writes its MLflow
model directory to ${DEFAULT_MODEL_DIR}, replacing the previous one. The model server and
\`npm start\` use that directory when no model is given (\`npm start\` trains it only when it is missing).
`;

/** Runs `train:default`; returns the process exit code (0 ok, 1 failure, 2 usage). */
export async function runTrainDefaultCli(args: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      process.stdout.write(TRAIN_DEFAULT_USAGE);
      return 0;
    }
  } catch (error) {
    process.stderr.write(`train:default: ${usageErrorFrom(error).message}\n\n${TRAIN_DEFAULT_USAGE}`);
    return 2;
  }
  return runWithProgress('train:default', (hooks) => trainDefaultModel(hooks));
}

if (isMainModule(import.meta.url)) {
  process.exitCode = await runTrainDefaultCli(process.argv.slice(2));
}
