/**
 * The maintained JavaScript alternative, `ml-random-forest` (on `ml-cart`), configured like our forest: bootstrap
 * samples, every feature at every split, trees grown until a node holds one row. Its split search re-partitions the
 * node for every candidate threshold (O(rows² × features) per node), so the benchmark first times one tree on a
 * small subset and only trains the full forest when the extrapolated time fits the budget.
 */
import { performance } from 'node:perf_hooks';
import { RandomForestRegression } from 'ml-random-forest';
import { mae, r2, rmse } from '../src/index.js';

export interface BaselineInput {
  train: number[][];
  trainTargets: number[];
  validation: number[][];
  validationTargets: number[];
  nTrees: number;
  seed: number;
}

export type BaselineOutcome =
  | { kind: 'measured'; rmse: number; mae: number; r2: number; fitSeconds: number }
  | { kind: 'skipped'; reason: string };

const PROBE_ROWS = 300;

function forest(nTrees: number, seed: number): RandomForestRegression {
  return new RandomForestRegression({
    nEstimators: nTrees,
    maxFeatures: 1.0,
    replacement: false,
    useSampleBagging: true,
    seed,
    noOOB: true,
    isClassifier: false,
    // ml-cart stops splitting at `rows <= minNumSamples`; 1 grows the tree as far as ours.
    treeOptions: { minNumSamples: 1 },
  });
}

/**
 * Trains and scores the baseline when one tree on {@link PROBE_ROWS} rows, scaled by (rows / probe rows)² and the
 * number of trees, projects a fit within `budgetSeconds`; otherwise says why it was skipped.
 */
export function runBaseline(input: BaselineInput, budgetSeconds: number): BaselineOutcome {
  const probeRows = Math.min(PROBE_ROWS, input.train.length);
  const probeStart = performance.now();
  forest(1, input.seed).train(input.train.slice(0, probeRows), input.trainTargets.slice(0, probeRows));
  const probeSeconds = (performance.now() - probeStart) / 1000;
  const projected = probeSeconds * (input.train.length / probeRows) ** 2 * input.nTrees;
  if (projected > budgetSeconds) {
    return {
      kind: 'skipped',
      reason:
        `one ml-cart tree on ${probeRows} rows took ${probeSeconds.toFixed(2)} s; split search grows with rows², ` +
        `so ${input.nTrees} trees on ${input.train.length} rows project to ~${(projected / 60).toFixed(0)} min ` +
        `(budget ${budgetSeconds} s)`,
    };
  }
  const started = performance.now();
  const model = forest(input.nTrees, input.seed);
  model.train(input.train, input.trainTargets);
  const fitSeconds = (performance.now() - started) / 1000;
  const predicted = model.predict(input.validation);
  return {
    kind: 'measured',
    rmse: rmse(input.validationTargets, predicted),
    mae: mae(input.validationTargets, predicted),
    r2: r2(input.validationTargets, predicted),
    fitSeconds,
  };
}
