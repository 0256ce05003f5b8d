import { describe, expect, it } from 'vitest';
import { splitThreshold, TreeBuilder } from '../../../src/forest/cart.js';
import { createRandom } from '../../../src/forest/random.js';
import { prepareTrainingData } from '../../../src/forest/training-data.js';
import type { RegressionTree } from '../../../src/model.js';

function builderFor(rows: number[][], targets: number[]): TreeBuilder {
  const nFeatures = rows[0]?.length ?? 0;
  const data = prepareTrainingData(
    { features: Float32Array.from(rows.flat()), nRows: rows.length, nFeatures, targets },
    false,
  );
  return new TreeBuilder(data);
}

function plain(tree: RegressionTree) {
  return {
    feature: Array.from(tree.feature),
    threshold: Array.from(tree.threshold),
    left: Array.from(tree.left),
    right: Array.from(tree.right),
    value: Array.from(tree.value),
  };
}

describe('splitThreshold', () => {
  it('is the float32 midpoint of two distinct float32 values', () => {
    // Given / When / Then
    expect(splitThreshold(1, 2)).toBe(1.5);
    expect(splitThreshold(Math.fround(0.1), Math.fround(0.2))).toBe(
      Math.fround((Math.fround(0.1) + Math.fround(0.2)) / 2),
    );
  });

  it('falls back to the lower value when the midpoint rounds up to the upper one', () => {
    // Given: adjacent float32 values whose midpoint rounds (half to even) to the upper value
    const lower = 1 + 2 ** -23;
    const upper = 1 + 2 ** -22;

    // When
    const threshold = splitThreshold(lower, upper);

    // Then
    expect(Math.fround((lower + upper) / 2)).toBe(upper);
    expect(threshold).toBe(lower);
    expect(Math.fround(lower) <= threshold && Math.fround(upper) > threshold).toBe(true);
  });
});

describe('TreeBuilder.grow', () => {
  it('splits an ordered feature where squared error drops most and stops at pure nodes', () => {
    // Given: x = 1..4, y = 10, 10, 30, 50; splitting at 2.5 scores 200 + 3200, better than 1.5 (2800) or 3.5 (3333)
    const builder = builderFor([[1], [2], [3], [4]], [10, 10, 30, 50]);

    // When
    const tree = builder.grow([1, 1, 1, 1], createRandom(1, 0));

    // Then
    expect(plain(tree)).toEqual({
      feature: [0, -1, 0, -1, -1],
      threshold: [2.5, 0, 3.5, 0, 0],
      left: [1, -1, 3, -1, -1],
      right: [2, -1, 4, -1, -1],
      value: [25, 10, 40, 30, 50],
    });
  });

  it('splits binary features at 0.5, sending zeros left', () => {
    // Given: a separates y=1 from {5, 9} (score 99), b separates 5 from {1, 9} (score 75)
    const builder = builderFor(
      [
        [1, 0],
        [0, 1],
        [0, 0],
      ],
      [1, 5, 9],
    );

    // When
    const tree = builder.grow([1, 1, 1], createRandom(1, 0));

    // Then
    expect(plain(tree)).toEqual({
      feature: [0, 1, -1, -1, -1],
      threshold: [0.5, 0.5, 0, 0, 0],
      left: [1, 2, -1, -1, -1],
      right: [4, 3, -1, -1, -1],
      value: [5, 7, 9, 5, 1],
    });
  });

  it('counts each row as many times as its weight and skips rows of weight zero', () => {
    // Given: row 0 drawn twice, row 2 not at all
    const builder = builderFor([[1], [2], [3], [4]], [10, 20, 1000, 40]);

    // When
    const tree = builder.grow([2, 1, 0, 1], createRandom(1, 0));

    // Then: root mean (2*10 + 20 + 40) / 4; best split x <= 3 (between the drawn values 2 and 4)
    expect(tree.value[0]).toBe(20);
    expect(tree.feature[0]).toBe(0);
    expect(tree.threshold[0]).toBe(3);
    expect(Array.from(tree.value)).toEqual([20, 40 / 3, 10, 20, 40]);
  });

  it('makes a leaf when the targets are equal or no feature separates the rows', () => {
    // Given
    const pure = builderFor([[1], [2], [3]], [7, 7, 7]);
    const inseparable = builderFor([[5], [5]], [1, 3]);

    // When
    const pureTree = pure.grow([1, 1, 1], createRandom(1, 0));
    const inseparableTree = inseparable.grow([1, 1], createRandom(1, 0));

    // Then
    expect(plain(pureTree)).toEqual({ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [7] });
    expect(plain(inseparableTree)).toEqual({ feature: [-1], threshold: [0], left: [-1], right: [-1], value: [2] });
  });

  it('fits every distinct training row exactly when grown to purity', () => {
    // Given: 40 rows, one ordered and two binary features, targets depending on all three
    const rows = Array.from({ length: 40 }, (_, index) => [index % 10, index % 2, Math.floor(index / 20)]);
    const targets = rows.map(([a, b, c]) => (a ?? 0) * 3 + (b ?? 0) * 100 + (c ?? 0) * 1000);
    const builder = builderFor(rows, targets);

    // When
    const tree = builder.grow(new Array(40).fill(1), createRandom(3, 0));

    // Then
    rows.forEach((row, index) => {
      let node = 0;
      while ((tree.feature[node] as number) >= 0) {
        const value = Math.fround(row[tree.feature[node] as number] as number);
        node = (value <= (tree.threshold[node] as number) ? tree.left[node] : tree.right[node]) as number;
      }
      expect(tree.value[node]).toBe(targets[index]);
    });
  });

  it('settles ties between features with its random stream, the same way for the same stream', () => {
    // Given: three binary features that each separate the two rows equally well
    const builder = builderFor(
      [
        [1, 1, 1],
        [0, 0, 0],
      ],
      [1, 2],
    );

    // When
    const chosen = Array.from({ length: 30 }, (_, stream) => builder.grow([1, 1], createRandom(9, stream)).feature[0]);
    const again = Array.from({ length: 30 }, (_, stream) => builder.grow([1, 1], createRandom(9, stream)).feature[0]);

    // Then
    expect(again).toEqual(chosen);
    expect(new Set(chosen)).toEqual(new Set([0, 1, 2]));
  });

  it('rejects weights that do not fit the rows', () => {
    // Given
    const builder = builderFor([[1], [2]], [1, 2]);

    // When / Then
    expect(() => builder.grow([1], createRandom(1, 0))).toThrow(
      'weights has 1 entries, expected one per training row (2)',
    );
    expect(() => builder.grow([0, 0], createRandom(1, 0))).toThrow('every weight is zero');
    expect(() => builder.grow([1, -1], createRandom(1, 0))).toThrow('weight of row 1 is -1');
  });
});
