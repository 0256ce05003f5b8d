import { describe, expect, it } from 'vitest';
import type { ColumnElementType, PredictionResult } from '../../../src/dto/batch.js';
import type { ModelInput } from '../../../src/dto/model.js';
import { RequestFormatError, SchemaError } from '../../../src/views/columns.js';
import {
  decodeV2Request,
  type V2InferRequest,
  v2Datatype,
  v2InferRequestSchema,
  v2InferResponseJson,
} from '../../../src/views/v2.js';
import { AREA_ROOMS_ZONE } from '../../support/inputs.js';
import { thrown } from '../../support/thrown.js';

const INPUTS = AREA_ROOMS_ZONE;

type Tensor = V2InferRequest['inputs'][number];

function tensor(name: string, shape: number[], datatype: Tensor['datatype'], data: Tensor['data']): Tensor {
  return { name, shape, datatype, data };
}

function request(...inputs: Tensor[]): V2InferRequest {
  return { inputs };
}

const area = tensor('area', [2], 'FP64', [1.5, null]);
const rooms = tensor('rooms', [2, 1], 'INT64', [[3], [4]]);
const zone = tensor('zone', [2], 'BYTES', ['RL', null]);

describe('decodeV2Request', () => {
  it('decodes [N] and nested [N, 1] inputs into columns, null as a missing value', () => {
    // When
    const batch = decodeV2Request(request(area, rooms, zone), INPUTS);

    // Then
    expect(batch).toEqual({
      rows: 2,
      columns: [Float64Array.of(1.5, Number.NaN), BigInt64Array.of(3n, 4n), ['RL', '']],
    });
  });

  it('takes inputs in any order and flat data for an [N, 1] shape', () => {
    // When
    const batch = decodeV2Request(request(zone, tensor('rooms', [2, 1], 'INT64', [3, 4]), area), INPUTS);

    // Then
    expect(batch.columns[1]).toEqual(BigInt64Array.of(3n, 4n));
  });

  it('accepts any numeric datatype for a numeric column', () => {
    // When
    const batch = decodeV2Request(
      request(tensor('area', [2], 'INT32', [1, 2]), tensor('rooms', [2], 'FP32', [3, 4]), zone),
      INPUTS,
    );

    // Then
    expect(batch.columns[0]).toEqual(Float64Array.of(1, 2));
    expect(batch.columns[1]).toEqual(BigInt64Array.of(3n, 4n));
  });

  it('refuses a datatype that does not fit the column, naming both', () => {
    // When
    const error = thrown(() => decodeV2Request(request(tensor('area', [2], 'BYTES', ['1', '2']), rooms, zone), INPUTS));

    // Then
    expect(error).toBeInstanceOf(SchemaError);
    expect(error.message).toBe("Input 'area' has datatype BYTES; the model expects FP64.");
    expect(() => decodeV2Request(request(area, rooms, tensor('zone', [2], 'FP64', [1, 2])), INPUTS)).toThrow(
      "Input 'zone' has datatype FP64; the model expects BYTES.",
    );
  });

  it('refuses an input the model does not have', () => {
    // When / Then
    expect(() => decodeV2Request(request(area, rooms, zone, tensor('price', [2], 'FP64', [1, 2])), INPUTS)).toThrow(
      new RequestFormatError("Input 'price' is not an input of this model."),
    );
  });

  it('refuses an input given twice', () => {
    // When / Then
    expect(() => decodeV2Request(request(area, area, rooms, zone), INPUTS)).toThrow(
      new RequestFormatError("Input 'area' is given twice."),
    );
  });

  it.each([
    [[], '[]'],
    [[2, 2], '[2, 2]'],
    [[2, 1, 1], '[2, 1, 1]'],
  ])('refuses the shape %j', (shape, shown) => {
    // When / Then
    expect(() => decodeV2Request(request(tensor('area', shape, 'FP64', [1, 2]), rooms, zone), INPUTS)).toThrow(
      new RequestFormatError(`Input 'area' has shape ${shown}; a column input must be [N] or [N, 1].`),
    );
  });

  it('refuses data whose length differs from the shape', () => {
    // When / Then
    expect(() => decodeV2Request(request(tensor('area', [3], 'FP64', [1, 2]), rooms, zone), INPUTS)).toThrow(
      new RequestFormatError("Input 'area' has shape [3] but 2 values."),
    );
  });

  it('refuses inputs of different lengths', () => {
    // When / Then
    expect(() => decodeV2Request(request(tensor('area', [1], 'FP64', [1]), rooms, zone), INPUTS)).toThrow(
      new RequestFormatError('Inputs have different lengths: every input must have the same first dimension.'),
    );
  });

  it('names the missing inputs', () => {
    // When / Then
    expect(() => decodeV2Request(request(zone), INPUTS)).toThrow(
      new SchemaError("Model is missing inputs ['area', 'rooms']."),
    );
  });

  it('refuses values that do not fit the column', () => {
    // When / Then
    expect(() => decodeV2Request(request(area, tensor('rooms', [2], 'INT64', [1, 2.5]), zone), INPUTS)).toThrow(
      "column 'rooms' (long), row 1: 2.5; expected a whole number",
    );
  });

  it('decodes zero rows', () => {
    // When
    const batch = decodeV2Request(
      request(tensor('area', [0], 'FP64', []), tensor('rooms', [0, 1], 'INT64', []), tensor('zone', [0], 'BYTES', [])),
      INPUTS,
    );

    // Then
    expect(batch.rows).toBe(0);
  });

  it('takes BOOL data for a boolean column', () => {
    // Given
    const flag: ModelInput = { name: 'flag', columnType: 'boolean', element: 'bool', shape: [-1], required: true };

    // When
    const batch = decodeV2Request(request(tensor('flag', [2], 'BOOL', [true, false])), [flag]);

    // Then
    expect(batch.columns[0]).toEqual(Uint8Array.of(1, 0));
  });
});

describe('v2InferRequestSchema', () => {
  it('refuses an empty list of inputs and an unknown datatype', () => {
    // When / Then
    expect(v2InferRequestSchema.safeParse({ inputs: [] }).success).toBe(false);
    expect(
      v2InferRequestSchema.safeParse({ inputs: [{ name: 'a', shape: [1], datatype: 'FP128', data: [1] }] }).success,
    ).toBe(false);
    expect(v2InferRequestSchema.safeParse({ inputs: [area] }).success).toBe(true);
  });
});

describe('v2Datatype', () => {
  it.each([
    ['float64', 'FP64'],
    ['float32', 'FP32'],
    ['int64', 'INT64'],
    ['int32', 'INT32'],
    ['bool', 'BOOL'],
    ['string', 'BYTES'],
  ] as [ColumnElementType, string][])('declares a %s input as %s', (element, datatype) => {
    // When / Then
    expect(v2Datatype({ name: 'x', columnType: 'double', element, shape: [-1], required: true })).toBe(datatype);
  });
});

describe('v2InferResponseJson', () => {
  const result: PredictionResult = {
    model: { name: 'housing', version: 'abc' },
    outputs: [
      { name: 'variable', datatype: 'FP32', shape: [2, 1], data: Float32Array.of(1.5, Number.NaN) },
      { name: 'label', datatype: 'INT64', shape: [2], data: BigInt64Array.of(7n, 8n) },
      { name: 'text', datatype: 'BYTES', shape: [2], data: ['a', 'b"'] },
    ],
  };

  it('answers every output with its shape and flat data, NaN as null', () => {
    // When
    const text = v2InferResponseJson(result, 'req-1');

    // Then
    expect(text).toBe(
      '{"model_name":"housing","model_version":"abc","id":"req-1","parameters":{},"outputs":[' +
        '{"name":"variable","shape":[2,1],"datatype":"FP32","data":[1.5,null]},' +
        '{"name":"label","shape":[2],"datatype":"INT64","data":[7,8]},' +
        '{"name":"text","shape":[2],"datatype":"BYTES","data":["a","b\\""]}]}',
    );
    expect(() => JSON.parse(text)).not.toThrow();
  });

  it('answers only the requested outputs', () => {
    // When
    const parsed = JSON.parse(v2InferResponseJson(result, 'req-2', ['label']));

    // Then
    expect(parsed.id).toBe('req-2');
    expect(parsed.outputs).toEqual([{ name: 'label', shape: [2], datatype: 'INT64', data: [7, 8] }]);
  });

  it('escapes the id', () => {
    // When
    const parsed = JSON.parse(v2InferResponseJson(result, 'a "quoted" id', []));

    // Then
    expect(parsed.id).toBe('a "quoted" id');
    expect(parsed.outputs).toEqual([]);
  });
});
