import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDataset, splitTrainValidation } from '../../src/data/dataset.js';
import { predictRows } from '../../src/evaluate.js';
import { fitForest } from '../../src/forest/forest.js';
import { fitPreprocessor, transformRows } from '../../src/pipeline/preprocessor.js';
import { trainPipeline } from '../../src/pipeline/train.js';

const AMES = fileURLToPath(new URL('../../data/ames.csv', import.meta.url));

describe('the bundled Ames data', () => {
  it('loads 2,930 rows of 74 typed columns and splits them 2,344 / 586', async () => {
    // Given / When
    const dataset = await loadDataset(AMES);
    const split = splitTrainValidation(dataset.rows);

    // Then
    expect(dataset.rows).toHaveLength(2930);
    expect(dataset.columns).toHaveLength(74);
    const types = Object.fromEntries(dataset.columns.map((column) => [column.name, column.type]));
    expect(types).toMatchObject({ Sale_Price: 'long', Lot_Area: 'long', Longitude: 'double', MS_SubClass: 'string' });
    expect(dataset.columns.filter((column) => column.type !== 'string')).toHaveLength(34);
    expect(dataset.rows[0]).toMatchObject({ Sale_Type: 'WD ', Sale_Price: 215000, Latitude: 42.054035 });
    expect(split.train).toHaveLength(2344);
    expect(split.validation).toHaveLength(586);
  });
});

describe('trainPipeline', () => {
  it('fits the pipeline on the training rows and scores the validation rows', async () => {
    // Given
    const dataset = await loadDataset(AMES);

    // When
    const result = await trainPipeline(dataset, { nTrees: 3, seed: 1, threads: 1 });

    // Then
    const { preprocessor, forest } = result.pipeline;
    expect(preprocessor.droppedColumns).toEqual([]);
    expect(preprocessor.numeric).toHaveLength(33);
    expect(preprocessor.featureNames).toHaveLength(306);
    expect(forest.nFeatures).toBe(306);
    expect(forest.trees).toHaveLength(3);
    expect(result.trainRows).toBe(2344);
    expect(result.validationRows).toBe(586);
    expect(result.validation.actual).toHaveLength(586);
    expect(result.validation.predicted).toEqual(Array.from(predictRows(result.pipeline, result.validation.rows)));
    expect(result.fitSeconds).toBeGreaterThan(0);
    // Three trees are far from the full model, but clearly better than predicting the mean.
    expect(result.metrics.r2).toBeGreaterThan(0.75);
    expect(result.metrics.rmse).toBeLessThan(40_000);
    expect(result.metrics.mae).toBeLessThan(result.metrics.rmse);
  });

  it('rejects a dataset too small to leave both training and validation rows', async () => {
    // Given
    const dataset = await loadDataset(AMES);
    const tiny = { ...dataset, rows: dataset.rows.slice(0, 1) };

    // When / Then
    await expect(trainPipeline(tiny, { nTrees: 1, threads: 1 })).rejects.toThrow(
      '1 data rows leave 0 training and 1 validation rows; at least 2 rows are needed',
    );
  });
});

describe('fitForest on worker threads', () => {
  async function amesTrainingSet() {
    const dataset = await loadDataset(AMES);
    const { train } = splitTrainValidation(dataset.rows);
    const preprocessor = fitPreprocessor(dataset, train);
    return {
      features: transformRows(preprocessor, train),
      nRows: train.length,
      nFeatures: preprocessor.featureNames.length,
      targets: train.map((row) => row.Sale_Price as number),
    };
  }

  it('builds the same forest with two worker threads as in one thread', async () => {
    // Given
    const trainingSet = await amesTrainingSet();
    const progress: number[] = [];

    // When
    const inProcess = await fitForest(trainingSet, { nTrees: 4, seed: 5, threads: 1 });
    const onWorkers = await fitForest(trainingSet, {
      nTrees: 4,
      seed: 5,
      threads: 2,
      onProgress: (done) => progress.push(done),
    });

    // Then
    expect(onWorkers).toEqual(inProcess);
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('rejects when the progress callback throws, and stops its workers', async () => {
    // Given
    const trainingSet = await amesTrainingSet();

    // When
    const fit = fitForest(trainingSet, {
      nTrees: 4,
      threads: 2,
      onProgress: () => {
        throw new Error('progress sink closed');
      },
    });

    // Then
    await expect(fit).rejects.toThrow('progress sink closed');
  });
});
