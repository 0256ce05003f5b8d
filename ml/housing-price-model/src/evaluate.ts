import type { FittedPipeline, RandomForestModel, RawRow, RegressionTree } from './model.js';
import { transformRows } from './pipeline/preprocessor.js';

/**
 * The output of one tree for the feature row starting at `offset`. Features and thresholds are both float32
 * values, so `<=` here is the float32 comparison ONNX's TreeEnsembleRegressor makes.
 */
export function predictTree(tree: RegressionTree, features: Float32Array, offset: number): number {
  const { feature, threshold, left, right, value } = tree;
  let node = 0;
  let split = feature[0] as number;
  while (split >= 0) {
    node =
      (features[offset + split] as number) <= (threshold[node] as number)
        ? (left[node] as number)
        : (right[node] as number);
    split = feature[node] as number;
  }
  return value[node] as number;
}

/**
 * Forest predictions for a row-major float32 feature matrix: the mean of the tree outputs for each row.
 *
 * @throws RangeError when the matrix size does not match `nRows × forest.nFeatures` or the forest has no trees.
 */
export function predictFeatures(forest: RandomForestModel, features: Float32Array, nRows: number): Float64Array {
  const width = forest.nFeatures;
  if (features.length !== nRows * width) {
    throw new RangeError(`features has ${features.length} values, expected nRows × nFeatures = ${nRows} × ${width}`);
  }
  if (forest.trees.length === 0) throw new RangeError('the forest has no trees');
  const predictions = new Float64Array(nRows);
  for (let row = 0; row < nRows; row++) {
    const offset = row * width;
    let sum = 0;
    for (const tree of forest.trees) sum += predictTree(tree, features, offset);
    predictions[row] = sum / forest.trees.length;
  }
  return predictions;
}

/**
 * The reference prediction of a fitted pipeline: preprocess the raw rows, then average the trees. This is what the
 * exported ONNX model must reproduce.
 */
export function predictRows(pipeline: FittedPipeline, rows: RawRow[]): Float64Array {
  const features = transformRows(pipeline.preprocessor, rows);
  return predictFeatures(pipeline.forest, features, rows.length);
}
