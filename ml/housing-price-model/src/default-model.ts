import { availableParallelism } from 'node:os';
import { readOnnxMlflowModel } from '@mlms/mlflow-model';
import { ONNX_PACKAGE_VERSION } from './export/onnx.js';
import { DEFAULT_DATA_PATH, DEFAULT_MODEL_DIR, DEFAULT_RUNS_DIR } from './package-paths.js';
import { type TrainRunOutcome, trainAndRecord } from './runs/train-run.js';

/** The fixed settings of the default model, so every checkout trains the same forest. */
export const DEFAULT_MODEL_SEED = 42;
export const DEFAULT_MODEL_TREES = 100;

export interface DefaultModelOptions {
  /** Model directory (default `ml/housing-price-model/models/default`). */
  modelDir?: string;
  runsDir?: string;
  dataPath?: string;
  /** Status lines (default: stderr). */
  log?: (line: string) => void;
  onProgress?: (treesDone: number, nTrees: number) => void;
}

/**
 * Trains the default model (seed 42, 100 trees, bundled data), records it as a normal run and copies its MLflow
 * model directory to `models/default`, replacing any previous one.
 */
export async function trainDefaultModel(options: DefaultModelOptions = {}): Promise<TrainRunOutcome> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  return trainAndRecord({
    seed: DEFAULT_MODEL_SEED,
    trees: DEFAULT_MODEL_TREES,
    threads: availableParallelism(),
    dataPath: options.dataPath ?? DEFAULT_DATA_PATH,
    runsDir: options.runsDir ?? DEFAULT_RUNS_DIR,
    outDir: options.modelDir ?? DEFAULT_MODEL_DIR,
    log,
    onProgress:
      options.onProgress ??
      ((done, total) => {
        if (done % 10 === 0 || done === total) log(`  trees ${done}/${total}`);
      }),
  });
}

/**
 * The default model directory, trained first when it has no current model (see {@link isModelDirectory}) (seconds on two cores).
 * The root `npm start` calls this before starting the model server.
 *
 * @returns The model directory path.
 */
export async function ensureDefaultModel(options: DefaultModelOptions = {}): Promise<string> {
  const modelDir = options.modelDir ?? DEFAULT_MODEL_DIR;
  if (await isModelDirectory(modelDir)) return modelDir;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  log(
    `No current default model in ${modelDir}; training one (seed ${DEFAULT_MODEL_SEED}, ${DEFAULT_MODEL_TREES} trees)`,
  );
  await trainDefaultModel({ ...options, modelDir, log });
  return modelDir;
}

/**
 * Whether a directory holds an MLflow model with an ONNX file that this version of the export wrote: a model
 * exported by an older checkout (other ONNX versions) is trained again rather than served.
 */
export async function isModelDirectory(directory: string): Promise<boolean> {
  try {
    const model = await readOnnxMlflowModel(directory);
    return model.onnx.onnxVersion === ONNX_PACKAGE_VERSION;
  } catch {
    return false;
  }
}
