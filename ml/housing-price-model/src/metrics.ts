/** Regression metrics over paired actual / predicted values (same definitions as scikit-learn's). */

function checkPairs(name: string, actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  if (actual.length !== predicted.length) {
    throw new RangeError(
      `${name}: actual has ${actual.length} values but predicted has ${predicted.length}; they must pair up`,
    );
  }
  if (actual.length === 0) throw new RangeError(`${name}: no values; at least one actual/predicted pair is needed`);
  return actual.length;
}

/** Root mean squared error. @throws RangeError on a length mismatch or empty input. */
export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = checkPairs('rmse', actual, predicted);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const error = (actual[i] as number) - (predicted[i] as number);
    sum += error * error;
  }
  return Math.sqrt(sum / n);
}

/** Mean absolute error. @throws RangeError on a length mismatch or empty input. */
export function mae(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = checkPairs('mae', actual, predicted);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += Math.abs((actual[i] as number) - (predicted[i] as number));
  return sum / n;
}

/**
 * Coefficient of determination, 1 - SS_res / SS_tot. When every actual value is the same (SS_tot = 0) it is 1 for a
 * perfect prediction and 0 otherwise, as scikit-learn's `r2_score` reports by default.
 *
 * @throws RangeError on a length mismatch or empty input.
 */
export function r2(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = checkPairs('r2', actual, predicted);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += actual[i] as number;
  mean /= n;
  let residual = 0;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const value = actual[i] as number;
    residual += (value - (predicted[i] as number)) ** 2;
    total += (value - mean) ** 2;
  }
  if (total === 0) return residual === 0 ? 1 : 0;
  return 1 - residual / total;
}
