import { describe, expect, it } from 'vitest';
import type { OutputTensor } from '../../../src/dto/batch.js';
import { jsonScalar, predictionsJson } from '../../../src/views/mlflow-response.js';

function output(name: string, shape: number[], data: OutputTensor['data'], datatype = 'FP64'): OutputTensor {
  return { name, datatype, shape, data };
}

describe('predictionsJson', () => {
  it('answers a single [N] output as a flat list, one value per row', () => {
    // When
    const text = predictionsJson([output('variable', [3], Float64Array.of(208500.25, 181500, -0.5))]);

    // Then
    expect(text).toBe('{"predictions":[208500.25,181500,-0.5]}');
  });

  it('answers a single [N, 1] output as a flat list too', () => {
    // When
    const text = predictionsJson([output('variable', [2, 1], Float32Array.of(1.5, 2))]);

    // Then
    expect(text).toBe('{"predictions":[1.5,2]}');
  });

  it('answers an [N, k] output as one list per row', () => {
    // When
    const text = predictionsJson([output('probabilities', [2, 3], Float64Array.of(0.1, 0.2, 0.7, 1, 0, 0))]);

    // Then
    expect(text).toBe('{"predictions":[[0.1,0.2,0.7],[1,0,0]]}');
  });

  it('answers several outputs as one record per row, keyed by output name', () => {
    // When
    const text = predictionsJson([
      output('label', [2], BigInt64Array.of(1n, 0n), 'INT64'),
      output('probabilities', [2, 2], Float32Array.of(0.25, 0.75, 0.5, 0.5)),
      output('name "quoted"', [2], ['yes', 'no'], 'BYTES'),
    ]);

    // Then
    expect(text).toBe(
      '{"predictions":[{"label":1,"probabilities":[0.25,0.75],"name \\"quoted\\"":"yes"},' +
        '{"label":0,"probabilities":[0.5,0.5],"name \\"quoted\\"":"no"}]}',
    );
    expect(JSON.parse(text).predictions[0]).toEqual({ label: 1, probabilities: [0.25, 0.75], 'name "quoted"': 'yes' });
  });

  it('writes NaN and the infinities as null', () => {
    // When
    const text = predictionsJson([output('variable', [3], Float64Array.of(Number.NaN, Infinity, -Infinity))]);

    // Then
    expect(text).toBe('{"predictions":[null,null,null]}');
  });

  it('writes int64 values beyond 2^53 exactly', () => {
    // When
    const text = predictionsJson([output('id', [1], BigInt64Array.of(2n ** 62n + 1n), 'INT64')]);

    // Then
    expect(text).toBe('{"predictions":[4611686018427387905]}');
  });

  it('writes string outputs as JSON strings, escaped', () => {
    // When
    const text = predictionsJson([output('label', [2], ['a "b"', 'line\nbreak'], 'BYTES')]);

    // Then
    expect(JSON.parse(text)).toEqual({ predictions: ['a "b"', 'line\nbreak'] });
  });

  it('writes boolean outputs as true and false', () => {
    // When
    const text = predictionsJson([output('flag', [2], [true, false] as unknown as number[], 'BOOL')]);

    // Then
    expect(text).toBe('{"predictions":[true,false]}');
  });

  it('answers an empty list when the model has no outputs', () => {
    // When / Then
    expect(predictionsJson([])).toBe('{"predictions":[]}');
  });

  it('answers zero rows with an empty list, with one output or several', () => {
    // When / Then
    expect(predictionsJson([output('variable', [0], [])])).toBe('{"predictions":[]}');
    expect(predictionsJson([output('a', [0], []), output('b', [0], [])])).toBe('{"predictions":[]}');
  });
});

describe('jsonScalar', () => {
  it('writes every kind of value as JSON, undefined as null', () => {
    // When / Then
    expect(jsonScalar(1.25)).toBe('1.25');
    expect(jsonScalar(Number.NaN)).toBe('null');
    expect(jsonScalar(12n)).toBe('12');
    expect(jsonScalar(false)).toBe('false');
    expect(jsonScalar('x')).toBe('"x"');
    expect(jsonScalar(null)).toBe('null');
    expect(jsonScalar(undefined)).toBe('null');
  });
});
