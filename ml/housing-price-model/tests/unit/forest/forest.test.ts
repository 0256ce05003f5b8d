import { describe, expect, it } from 'vitest';
import { fitForest } from '../../../src/forest/forest.js';
import { bootstrapCounts, createRandom, uniformIndex } from '../../../src/forest/random.js';
import { prepareTrainingData } from '../../../src/forest/training-data.js';
import { syntheticTrainingSet } from '../../helpers/synthetic-data.js';

describe('fitForest in one thread', () => {
  const trainingSet = syntheticTrainingSet(150, 6);

  it('builds the same forest bit for bit from the same seed', async () => {
    // Given / When
    const first = await fitForest(trainingSet, { nTrees: 4, seed: 7, threads: 1 });
    const second = await fitForest(trainingSet, { nTrees: 4, seed: 7, threads: 1 });

    // Then
    expect(second).toEqual(first);
    expect(first.trees).toHaveLength(4);
    expect(first.nFeatures).toBe(6);
  });

  it('builds a different forest from a different seed, and different trees within a forest', async () => {
    // Given / When
    const first = await fitForest(trainingSet, { nTrees: 2, seed: 7, threads: 1 });
    const other = await fitForest(trainingSet, { nTrees: 2, seed: 8, threads: 1 });

    // Then
    expect(other.trees[0]).not.toEqual(first.trees[0]);
    expect(first.trees[1]).not.toEqual(first.trees[0]);
  });

  it('builds tree i the same way whatever the forest size, so trees depend only on seed and index', async () => {
    // Given / When
    const small = await fitForest(trainingSet, { nTrees: 2, seed: 11, threads: 1 });
    const large = await fitForest(trainingSet, { nTrees: 3, seed: 11, threads: 1 });

    // Then
    expect(large.trees.slice(0, 2)).toEqual(small.trees);
  });

  it('reports progress after every tree', async () => {
    // Given
    const progress: string[] = [];

    // When
    await fitForest(trainingSet, {
      nTrees: 3,
      threads: 1,
      onProgress: (done, total) => progress.push(`${done}/${total}`),
    });

    // Then
    expect(progress).toEqual(['1/3', '2/3', '3/3']);
  });

  it('rejects invalid options with the allowed range', async () => {
    // Given / When / Then
    await expect(fitForest(trainingSet, { nTrees: 0 })).rejects.toThrow('nTrees must be a positive integer, got 0');
    await expect(fitForest(trainingSet, { seed: -1 })).rejects.toThrow(
      'seed must be an integer from 0 to 4294967295, got -1',
    );
    await expect(fitForest(trainingSet, { threads: 1.5 })).rejects.toThrow(
      'threads must be a positive integer, got 1.5',
    );
  });
});

describe('prepareTrainingData', () => {
  it('presorts non-binary features and lists the 1-valued binary features of each row', () => {
    // Given: feature 0 ordered, features 1 and 2 binary
    const features = Float32Array.from([3, 1, 0, 1, 0, 1, 2, 1, 1]);

    // When
    const data = prepareTrainingData({ features, nRows: 3, nFeatures: 3, targets: [1, 2, 3] }, true);

    // Then
    expect(data.features.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(data.orderedFeatures)).toEqual([0]);
    expect(Array.from(data.sortedRows)).toEqual([1, 2, 0]);
    expect(Array.from(data.sortedValues)).toEqual([1, 2, 3]);
    expect(Array.from(data.onesStart)).toEqual([0, 1, 2, 4]);
    expect(Array.from(data.onesFeature)).toEqual([1, 2, 1, 2]);
  });

  it('rejects inconsistent sizes and non-finite values', () => {
    // Given
    const features = Float32Array.from([1, 2, 3, 4]);

    // When / Then
    expect(() => prepareTrainingData({ features, nRows: 3, nFeatures: 2, targets: [1, 2, 3] }, false)).toThrow(
      'features has 4 values, expected nRows × nFeatures = 3 × 2',
    );
    expect(() => prepareTrainingData({ features, nRows: 2, nFeatures: 2, targets: [1] }, false)).toThrow(
      'targets has 1 values, expected one per row (2)',
    );
    expect(() => prepareTrainingData({ features, nRows: 2, nFeatures: 2, targets: [1, Number.NaN] }, false)).toThrow(
      'target of row 1 is NaN; targets must be finite',
    );
    expect(() =>
      prepareTrainingData(
        { features: Float32Array.from([1, Number.NaN]), nRows: 1, nFeatures: 2, targets: [1] },
        false,
      ),
    ).toThrow('feature 1 of row 0 is NaN; features must be finite');
    expect(() => prepareTrainingData({ features, nRows: 0, nFeatures: 2, targets: [] }, false)).toThrow(
      'nRows must be a positive integer, got 0',
    );
  });
});

describe('random', () => {
  it('gives the same stream for the same seed and stream index, and different ones otherwise', () => {
    // Given
    const draw = (seed: number, stream: number) => {
      const random = createRandom(seed, stream);
      return Array.from({ length: 4 }, () => random());
    };

    // When / Then
    expect(draw(42, 3)).toEqual(draw(42, 3));
    expect(draw(42, 3)).not.toEqual(draw(42, 4));
    expect(draw(42, 3)).not.toEqual(draw(43, 3));
    expect(draw(0, 0).every((value) => Number.isInteger(value) && value >= 0 && value < 2 ** 32)).toBe(true);
  });

  it('draws bootstrap counts that add up to n and indices below the bound', () => {
    // Given
    const random = createRandom(5, 0);

    // When
    const counts = bootstrapCounts(random, 1000);
    const indices = Array.from({ length: 1000 }, () => uniformIndex(random, 7));

    // Then
    expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1000);
    // About 1 - 1/e of the rows are drawn at least once.
    const drawn = counts.filter((count) => count > 0).length;
    expect(drawn).toBeGreaterThan(580);
    expect(drawn).toBeLessThan(680);
    expect(new Set(indices)).toEqual(new Set([0, 1, 2, 3, 4, 5, 6]));
  });
});
