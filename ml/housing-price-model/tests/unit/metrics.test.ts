import { describe, expect, it } from 'vitest';
import { mae, r2, rmse } from '../../src/metrics.js';

describe('regression metrics', () => {
  const actual = [3, -0.5, 2, 7];
  const predicted = [2.5, 0, 2, 8];

  it('computes RMSE, MAE and R² as scikit-learn does', () => {
    // Given: scikit-learn's docstring example (MSE 0.375, MAE 0.5, R² 0.948...)

    // When
    const scores = { rmse: rmse(actual, predicted), mae: mae(actual, predicted), r2: r2(actual, predicted) };

    // Then
    expect(scores.rmse).toBeCloseTo(Math.sqrt(0.375), 12);
    expect(scores.mae).toBe(0.5);
    expect(scores.r2).toBeCloseTo(0.9486081370449679, 12);
  });

  it('accepts typed arrays and is zero (R² one) for a perfect prediction', () => {
    // Given
    const values = Float64Array.from([1, 2, 3]);

    // When / Then
    expect(rmse(values, values)).toBe(0);
    expect(mae(values, values)).toBe(0);
    expect(r2(values, values)).toBe(1);
  });

  it('gives R² 1 for a perfect and 0 for an imperfect prediction of constant actual values', () => {
    // Given / When / Then
    expect(r2([4, 4], [4, 4])).toBe(1);
    expect(r2([4, 4], [4, 5])).toBe(0);
  });

  it('rejects arrays of different lengths and empty arrays', () => {
    // Given / When / Then
    expect(() => rmse([1, 2], [1])).toThrow('rmse: actual has 2 values but predicted has 1; they must pair up');
    expect(() => mae([], [])).toThrow('mae: no values; at least one actual/predicted pair is needed');
    expect(() => r2([1], [1, 2])).toThrow('r2: actual has 1 values but predicted has 2');
  });
});
