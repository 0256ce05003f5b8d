import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { RandomForestModel, RegressionTree } from '../model.js';
import { growForestTree, TreeBuilder } from './cart.js';
import { MAX_SEED } from './random.js';
import { prepareTrainingData } from './training-data.js';
import type { TreeRequest, TreeResponse, TreeWorkerData } from './tree-worker.js';

export const DEFAULT_TREES = 100;
export const DEFAULT_SEED = 42;

export interface ForestOptions {
  /** Number of trees (default 100). */
  nTrees?: number;
  /** Unsigned 32-bit seed (default 42). The same seed gives the same forest, bit for bit, on any thread count. */
  seed?: number;
  /** Worker threads (default `os.availableParallelism()`); 1 builds in the calling thread. */
  threads?: number;
  /** Called after each finished tree. */
  onProgress?: (treesDone: number, nTrees: number) => void;
}

/** The training matrix: row-major float32 features (`nRows × nFeatures`) and one target per row. */
export interface ForestTrainingSet {
  features: Float32Array;
  nRows: number;
  nFeatures: number;
  targets: ArrayLike<number>;
}

interface ResolvedOptions {
  nTrees: number;
  seed: number;
  threads: number;
  onProgress: (treesDone: number, nTrees: number) => void;
}

function resolveOptions(options: ForestOptions): ResolvedOptions {
  const nTrees = options.nTrees ?? DEFAULT_TREES;
  if (!Number.isInteger(nTrees) || nTrees < 1) {
    throw new RangeError(`nTrees must be a positive integer, got ${nTrees}`);
  }
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > MAX_SEED) {
    throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
  }
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(`threads must be a positive integer, got ${threads}`);
  }
  return { nTrees, seed, threads: Math.min(threads, nTrees), onProgress: options.onProgress ?? (() => {}) };
}

/**
 * Fits a random forest regressor: `nTrees` CART trees, each on its own bootstrap sample, every feature considered at
 * every split, grown to purity (scikit-learn's `RandomForestRegressor` defaults). Trees are built on worker threads
 * that share the training matrix through SharedArrayBuffers.
 *
 * @throws RangeError on invalid options or an inconsistent / non-finite training set.
 */
export async function fitForest(
  trainingSet: ForestTrainingSet,
  options: ForestOptions = {},
): Promise<RandomForestModel> {
  const resolved = resolveOptions(options);
  const shared = resolved.threads > 1;
  const data = prepareTrainingData(trainingSet, shared);
  const trees = shared
    ? await growOnWorkers({ data, seed: resolved.seed }, resolved)
    : growInProcess({ data, seed: resolved.seed }, resolved);
  return { trees, nFeatures: data.nFeatures };
}

function growInProcess({ data, seed }: TreeWorkerData, options: ResolvedOptions): RegressionTree[] {
  const builder = new TreeBuilder(data);
  const trees: RegressionTree[] = [];
  for (let treeIndex = 0; treeIndex < options.nTrees; treeIndex++) {
    trees.push(growForestTree(builder, data, seed, treeIndex));
    options.onProgress(treeIndex + 1, options.nTrees);
  }
  return trees;
}

/**
 * Starts a tree worker. From compiled dist/ the worker is plain JavaScript. From src/ (tsx, vitest) it is TypeScript,
 * which Node 20 cannot load, and a worker does not inherit the parent's tsx hooks (`--import tsx` in `execArgv` is
 * not applied to worker threads on Node 20 either), so a one-line bootstrap loads it through tsx's `tsImport` API.
 */
function startWorker(workerData: TreeWorkerData): Worker {
  const here = import.meta.url;
  if (!/\.[cm]?ts$/.test(new URL(here).pathname)) {
    return new Worker(new URL('./tree-worker.js', here), { workerData });
  }
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const workerModule = new URL('./tree-worker.ts', here).href;
  // Dynamic import() works whether Node reads the eval'd bootstrap as a CommonJS script or as a module.
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(workerModule)}, ${JSON.stringify(here)}));`;
  return new Worker(bootstrap, { eval: true, workerData });
}

function growOnWorkers(workerData: TreeWorkerData, options: ResolvedOptions): Promise<RegressionTree[]> {
  const { nTrees, threads, onProgress } = options;
  const trees: RegressionTree[] = new Array(nTrees);
  const workers: Worker[] = [];
  let nextTree = 0;
  let treesDone = 0;
  let settled = false;

  const done = new Promise<RegressionTree[]>((resolve, reject) => {
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      reject(error instanceof Error ? error : new Error(String(error)));
    };
    const requestNext = (worker: Worker): void => {
      if (nextTree >= nTrees) return;
      const request: TreeRequest = { treeIndex: nextTree++ };
      worker.postMessage(request);
    };

    for (let index = 0; index < threads; index++) {
      const worker = startWorker(workerData);
      workers.push(worker);
      worker.on('message', (response: TreeResponse) => {
        if (settled) return;
        const { treeIndex, ...tree } = response;
        trees[treeIndex] = tree;
        treesDone++;
        try {
          onProgress(treesDone, nTrees);
        } catch (error) {
          fail(error);
          return;
        }
        if (treesDone === nTrees) {
          settled = true;
          resolve(trees);
        } else requestNext(worker);
      });
      worker.on('error', (error) => fail(new Error(`tree worker ${index} failed: ${error.message}`, { cause: error })));
      worker.on('exit', (code) => fail(new Error(`tree worker ${index} exited early with code ${code}`)));
      // Two requests in flight per worker so it never idles while the main thread handles a response.
      requestNext(worker);
      requestNext(worker);
    }
  });

  return done.finally(() => Promise.all(workers.map((worker) => worker.terminate())));
}
