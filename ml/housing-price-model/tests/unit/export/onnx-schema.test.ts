import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { packFloats, packVarints } from '../../../src/export/onnx-schema.js';

/** AttributeProto's `floats` and `ints` as repeated fields with packed encoding, to compare wire bytes with. */
const reference = protobuf.Root.fromJSON({
  nested: {
    A: {
      fields: {
        floats: { rule: 'repeated', type: 'float', id: 7, options: { packed: true } },
        ints: { rule: 'repeated', type: 'int64', id: 8, options: { packed: true } },
      },
    },
  },
}).lookupType('A');

describe('packVarints and packFloats', () => {
  it('produce the payload of a packed repeated int64 / float field, byte for byte', () => {
    // Given
    const ints = [0, 1, 127, 128, 300, 16_383, 16_384, 2 ** 31, 2 ** 40 + 5];
    const floats = [0, 1.5, -2.25, 150_000.5, Number.NaN];

    // When
    const expected = reference.encode(reference.fromObject({ floats, ints })).finish();
    const writer = protobuf.Writer.create();
    writer.uint32((7 << 3) | 2).bytes(packFloats(floats));
    writer.uint32((8 << 3) | 2).bytes(packVarints(ints));

    // Then
    expect(Buffer.from(writer.finish()).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('refuses negative and fractional values instead of writing a wrong varint', () => {
    // Given / When / Then
    expect(() => packVarints([1, -1])).toThrow('packVarints: value -1 at index 1 is not a non-negative safe integer');
    expect(() => packVarints([0.5])).toThrow(/value 0.5 at index 0/);
  });
});
