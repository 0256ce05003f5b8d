/**
 * The training matrix in the layouts the tree builder needs, computed once per forest and shared (read-only) by every
 * tree and every worker thread.
 */
export interface TrainingData {
  nRows: number;
  nFeatures: number;
  /** Row-major float32 feature matrix, `nRows × nFeatures`. */
  features: Float32Array;
  targets: Float64Array;
  /**
   * Features whose values are not all 0 or 1, in increasing feature order. Their splits are searched by scanning
   * rows in value order, so each one gets a presorted row list.
   */
  orderedFeatures: Int32Array;
  /** `sortedRows[k * nRows + i]`: the row with the i-th smallest value of `orderedFeatures[k]` (ties by row). */
  sortedRows: Int32Array;
  /** `sortedValues[k * nRows + i]`: that row's value, so scans read values sequentially. */
  sortedValues: Float32Array;
  /**
   * Binary (0/1) features in compressed-row form: row `r` equals 1 exactly on features
   * `onesFeature[onesStart[r] .. onesStart[r + 1])`. One-hot rows hold one 1 per categorical column, so a node's
   * split statistics for every binary feature cost one pass over these short lists instead of a sort.
   */
  onesStart: Int32Array;
  onesFeature: Int32Array;
}

type TypedArrayConstructor<T> = { new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): T } & {
  BYTES_PER_ELEMENT: number;
};

function allocate<T>(Type: TypedArrayConstructor<T>, length: number, shared: boolean): T {
  const bytes = Type.BYTES_PER_ELEMENT * length;
  return new Type(shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes), 0, length);
}

/**
 * Validates the matrix and builds the sorted and sparse layouts.
 *
 * @param shared Allocate every array in a SharedArrayBuffer so worker threads read it without copies.
 * @throws RangeError on inconsistent sizes, no rows, or a non-finite feature or target value.
 */
export function prepareTrainingData(
  matrix: { features: Float32Array; nRows: number; nFeatures: number; targets: ArrayLike<number> },
  shared: boolean,
): TrainingData {
  const { nRows, nFeatures } = matrix;
  if (!Number.isInteger(nRows) || nRows < 1) throw new RangeError(`nRows must be a positive integer, got ${nRows}`);
  if (!Number.isInteger(nFeatures) || nFeatures < 1) {
    throw new RangeError(`nFeatures must be a positive integer, got ${nFeatures}`);
  }
  if (matrix.features.length !== nRows * nFeatures) {
    throw new RangeError(
      `features has ${matrix.features.length} values, expected nRows × nFeatures = ${nRows} × ${nFeatures}`,
    );
  }
  if (matrix.targets.length !== nRows) {
    throw new RangeError(`targets has ${matrix.targets.length} values, expected one per row (${nRows})`);
  }

  const features = allocate(Float32Array, nRows * nFeatures, shared);
  features.set(matrix.features);
  const targets = allocate(Float64Array, nRows, shared);
  for (let row = 0; row < nRows; row++) {
    const target = matrix.targets[row] ?? Number.NaN;
    if (!Number.isFinite(target)) throw new RangeError(`target of row ${row} is ${target}; targets must be finite`);
    targets[row] = target;
  }

  const binary = new Uint8Array(nFeatures).fill(1);
  for (let index = 0; index < features.length; index++) {
    const value = features[index] as number;
    if (!Number.isFinite(value)) {
      throw new RangeError(
        `feature ${index % nFeatures} of row ${Math.floor(index / nFeatures)} is ${value}; features must be finite`,
      );
    }
    if (value !== 0 && value !== 1) binary[index % nFeatures] = 0;
  }

  const ordered: number[] = [];
  for (let feature = 0; feature < nFeatures; feature++) if (binary[feature] === 0) ordered.push(feature);
  const orderedFeatures = allocate(Int32Array, ordered.length, shared);
  orderedFeatures.set(ordered);

  const sortedRows = allocate(Int32Array, ordered.length * nRows, shared);
  const sortedValues = allocate(Float32Array, ordered.length * nRows, shared);
  const column = new Float32Array(nRows);
  const rowOrder = new Int32Array(nRows);
  ordered.forEach((feature, k) => {
    for (let row = 0; row < nRows; row++) {
      column[row] = features[row * nFeatures + feature] as number;
      rowOrder[row] = row;
    }
    rowOrder.sort((a, b) => (column[a] as number) - (column[b] as number) || a - b);
    const base = k * nRows;
    for (let i = 0; i < nRows; i++) {
      const row = rowOrder[i] as number;
      sortedRows[base + i] = row;
      sortedValues[base + i] = column[row] as number;
    }
  });

  let ones = 0;
  for (let index = 0; index < features.length; index++) {
    if (features[index] === 1 && binary[index % nFeatures] === 1) ones++;
  }
  const onesStart = allocate(Int32Array, nRows + 1, shared);
  const onesFeature = allocate(Int32Array, ones, shared);
  let cursor = 0;
  for (let row = 0; row < nRows; row++) {
    onesStart[row] = cursor;
    const offset = row * nFeatures;
    for (let feature = 0; feature < nFeatures; feature++) {
      if (binary[feature] === 1 && features[offset + feature] === 1) onesFeature[cursor++] = feature;
    }
  }
  onesStart[nRows] = cursor;

  return { nRows, nFeatures, features, targets, orderedFeatures, sortedRows, sortedValues, onesStart, onesFeature };
}
