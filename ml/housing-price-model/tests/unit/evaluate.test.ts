import { describe, expect, it } from 'vitest';
import { predictFeatures, predictRows, predictTree } from '../../src/evaluate.js';
import type { FittedPipeline, RandomForestModel, RegressionTree } from '../../src/model.js';

/**
 * Node 0: x0 <= 2.5 ? node 1 : node 2; node 1: x1 <= 0.5 ? leaf 10 : leaf 20; node 2: leaf 100.
 */
function handTree(): RegressionTree {
  return {
    feature: Int32Array.from([0, 1, -1, -1, -1]),
    threshold: Float32Array.from([2.5, 0.5, 0, 0, 0]),
    left: Int32Array.from([1, 3, -1, -1, -1]),
    right: Int32Array.from([2, 4, -1, -1, -1]),
    value: Float64Array.from([40, 15, 100, 10, 20]),
  };
}

function constantTree(value: number): RegressionTree {
  return {
    feature: Int32Array.from([-1]),
    threshold: Float32Array.from([0]),
    left: Int32Array.from([-1]),
    right: Int32Array.from([-1]),
    value: Float64Array.from([value]),
  };
}

describe('predictTree', () => {
  it('walks the tree to the leaf the hand-computed path reaches', () => {
    // Given
    const tree = handTree();
    const features = Float32Array.from([1, 0, 1, 1, 3, 0, 2.5, 1]);

    // When
    const outputs = [0, 2, 4, 6].map((offset) => predictTree(tree, features, offset));

    // Then: (1, 0) -> 10, (1, 1) -> 20, (3, 0) -> 100, (2.5, 1) -> equal to the threshold goes left -> 20
    expect(outputs).toEqual([10, 20, 100, 20]);
  });

  it('compares in float32, so a value that rounds onto the threshold goes left and the next float32 goes right', () => {
    // Given: 0.1 is not a float32 value; stored as float32 it becomes fround(0.1), the threshold itself
    const threshold = Math.fround(0.1);
    const tree: RegressionTree = { ...handTree(), threshold: Float32Array.from([threshold, 0.5, 0, 0, 0]) };
    const bits = new Uint32Array(Float32Array.of(threshold).buffer)[0] as number;
    const nextFloat32 = new Float32Array(Uint32Array.of(bits + 1).buffer)[0] as number;

    // When
    const onThreshold = predictTree(tree, Float32Array.from([0.1, 0]), 0);
    const above = predictTree(tree, Float32Array.from([nextFloat32, 0]), 0);

    // Then
    expect(onThreshold).toBe(10);
    expect(above).toBe(100);
  });
});

describe('predictFeatures', () => {
  it('averages the trees for every row', () => {
    // Given
    const forest: RandomForestModel = { trees: [handTree(), constantTree(50)], nFeatures: 2 };
    const features = Float32Array.from([1, 0, 3, 0]);

    // When
    const predictions = predictFeatures(forest, features, 2);

    // Then
    expect(Array.from(predictions)).toEqual([30, 75]);
  });

  it('rejects a matrix of the wrong size and a forest without trees', () => {
    // Given
    const forest: RandomForestModel = { trees: [handTree()], nFeatures: 2 };

    // When / Then
    expect(() => predictFeatures(forest, new Float32Array(3), 2)).toThrow(
      'features has 3 values, expected nRows × nFeatures = 2 × 2',
    );
    expect(() => predictFeatures({ trees: [], nFeatures: 2 }, new Float32Array(2), 1)).toThrow(
      'the forest has no trees',
    );
  });
});

describe('predictRows', () => {
  it('preprocesses raw rows and walks the forest', () => {
    // Given: features [area, zone_A]; the hand tree splits area at 2.5 and zone_A at 0.5
    const pipeline: FittedPipeline = {
      preprocessor: {
        target: 'price',
        inputColumns: [
          { name: 'area', type: 'double' },
          { name: 'zone', type: 'string' },
        ],
        droppedColumns: [],
        numeric: [{ name: 'area', median: 2 }],
        categorical: [{ name: 'zone', mostFrequent: 'A', levels: ['A'] }],
        featureNames: ['area', 'zone_A'],
      },
      forest: { trees: [handTree()], nFeatures: 2 },
    };

    // When
    const predictions = predictRows(pipeline, [
      { area: 1, zone: 'B' },
      { area: null, zone: null },
      { area: 9, zone: 'A' },
    ]);

    // Then: (1, 0) -> 10; imputed (2, 1) -> 20; (9, 1) -> 100
    expect(Array.from(predictions)).toEqual([10, 20, 100]);
  });
});
