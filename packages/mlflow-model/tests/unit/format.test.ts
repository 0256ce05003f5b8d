import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  formatOnnxMlmodel,
  mlflowTimestamp,
  parseSignatureColumns,
  pythonJsonDumps,
  SignatureError,
} from '../../src/index.js';

describe('mlflowTimestamp', () => {
  it('formats UTC time with microseconds and a space, as MLflow writes utc_time_created', () => {
    // Given
    const date = new Date('2025-12-31T23:59:58.007Z');

    // When
    const text = mlflowTimestamp(date);

    // Then
    expect(text).toBe('2025-12-31 23:59:58.007000');
  });
});

describe('pythonJsonDumps', () => {
  it('uses Python json.dumps separators and escapes non-ASCII text', () => {
    // Given
    const value = { name: 'Café', list: [1, 2.5, null, true], nested: { k: 'v' } };

    // When
    const text = pythonJsonDumps(value);

    // Then
    expect(text).toBe('{"name": "Caf\\u00e9", "list": [1, 2.5, null, true], "nested": {"k": "v"}}');
    expect(JSON.parse(text)).toEqual(value);
  });

  it('writes NaN and infinities as Python does, and refuses what JSON cannot hold', () => {
    // When / Then
    expect(pythonJsonDumps([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined])).toBe(
      '[NaN, Infinity, -Infinity, null]',
    );
    expect(() => pythonJsonDumps(() => 1)).toThrow(TypeError);
  });
});

describe('formatOnnxMlmodel', () => {
  it('writes keys in PyYAML order with the signature as Python JSON strings', () => {
    // Given
    const fields = {
      onnxVersion: '1.12.0',
      modelSizeBytes: 10,
      modelUuid: 'u'.repeat(32),
      runId: 'r'.repeat(32),
      createdAt: new Date('2024-03-05T07:08:09.123Z'),
      inputs: [{ type: 'double' as const, name: 'a', required: true }],
      outputs: [{ type: 'float' as const, name: 'variable', required: true }],
    };

    // When
    const document = parseYaml(formatOnnxMlmodel(fields), { version: '1.1' });

    // Then
    expect(Object.keys(document)).toEqual([
      'artifact_path',
      'flavors',
      'mlflow_version',
      'model_size_bytes',
      'model_uuid',
      'run_id',
      'saved_input_example_info',
      'signature',
      'utc_time_created',
    ]);
    expect(document.signature).toEqual({
      inputs: '[{"type": "double", "name": "a", "required": true}]',
      outputs: '[{"type": "float", "name": "variable", "required": true}]',
      params: null,
    });
    expect(document.utc_time_created).toBe('2024-03-05 07:08:09.123000');
  });
});

describe('parseSignatureColumns', () => {
  it.each([
    [42, 'signature.inputs must be a JSON string listing column specs, got number'],
    ['{', /^signature.inputs is not valid JSON \(/],
    ['[]', 'signature.inputs must be a non-empty list of column specs'],
    ['{"type": "double"}', 'signature.inputs must be a non-empty list of column specs'],
  ])('refuses %j', (value, message) => {
    // When / Then
    expect(() => parseSignatureColumns(value, 'inputs')).toThrow(SignatureError);
    expect(() => parseSignatureColumns(value, 'inputs')).toThrow(message);
  });

  it('keeps unnamed output columns (matched by position)', () => {
    // When
    const specs = parseSignatureColumns('[{"type": "double"}]', 'outputs');

    // Then
    expect(specs).toEqual([{ type: 'double', required: true }]);
  });
});
