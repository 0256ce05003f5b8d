import type { Root, Type } from 'protobufjs';
import protobuf from 'protobufjs';

/**
 * The part of the ONNX schema this exporter writes, copied from the official `onnx/onnx.proto3` (MIT, ONNX
 * Project Contributors) with the field names and numbers unchanged. Messages we never emit (training info,
 * sparse tensors, functions, quantization annotations) are left out; a reader ignores fields it does not know,
 * and we never read models back with this schema except in tests, so the subset is enough and keeps the writer
 * on the protobufjs 7 the package already depends on (the `onnx-proto` package pins protobufjs 6).
 *
 * One deliberate change: `AttributeProto.floats` and `.ints` are declared `bytes` and filled with the packed
 * encoding built by {@link packFloats} and {@link packVarints}. The bytes on the wire are identical to a packed
 * repeated field (which every protobuf parser accepts), but protobufjs then writes a tree ensemble's ~10^6 values
 * as a few buffers instead of one writer operation per value (600 MB of heap for a 100-tree forest otherwise).
 */
const ONNX_SCHEMA_SUBSET = `
syntax = "proto3";
package onnx;

message AttributeProto {
  enum AttributeType {
    UNDEFINED = 0;
    FLOAT = 1;
    INT = 2;
    STRING = 3;
    TENSOR = 4;
    GRAPH = 5;
    SPARSE_TENSOR = 11;
    TYPE_PROTO = 13;
    FLOATS = 6;
    INTS = 7;
    STRINGS = 8;
    TENSORS = 9;
    GRAPHS = 10;
    SPARSE_TENSORS = 12;
    TYPE_PROTOS = 14;
  }
  string name = 1;
  string ref_attr_name = 21;
  string doc_string = 13;
  AttributeType type = 20;
  float f = 2;
  int64 i = 3;
  bytes s = 4;
  TensorProto t = 5;
  // Written pre-encoded (see packFloats / packVarints): a packed "repeated float floats = 7" is, on the wire,
  // one length-delimited payload, exactly what "bytes floats = 7" writes.
  bytes floats = 7;
  bytes ints = 8;
  repeated bytes strings = 9;
  repeated TensorProto tensors = 10;
}

message ValueInfoProto {
  string name = 1;
  TypeProto type = 2;
  string doc_string = 3;
}

message NodeProto {
  repeated string input = 1;
  repeated string output = 2;
  string name = 3;
  string op_type = 4;
  string domain = 7;
  repeated AttributeProto attribute = 5;
  string doc_string = 6;
}

message ModelProto {
  int64 ir_version = 1;
  repeated OperatorSetIdProto opset_import = 8;
  string producer_name = 2;
  string producer_version = 3;
  string domain = 4;
  int64 model_version = 5;
  string doc_string = 6;
  GraphProto graph = 7;
  repeated StringStringEntryProto metadata_props = 14;
}

message StringStringEntryProto {
  string key = 1;
  string value = 2;
}

message GraphProto {
  repeated NodeProto node = 1;
  string name = 2;
  repeated TensorProto initializer = 5;
  string doc_string = 10;
  repeated ValueInfoProto input = 11;
  repeated ValueInfoProto output = 12;
  repeated ValueInfoProto value_info = 13;
}

message TensorProto {
  enum DataType {
    UNDEFINED = 0;
    FLOAT = 1;
    UINT8 = 2;
    INT8 = 3;
    UINT16 = 4;
    INT16 = 5;
    INT32 = 6;
    INT64 = 7;
    STRING = 8;
    BOOL = 9;
    FLOAT16 = 10;
    DOUBLE = 11;
    UINT32 = 12;
    UINT64 = 13;
  }
  repeated int64 dims = 1;
  int32 data_type = 2;
  repeated float float_data = 4 [packed = true];
  repeated int32 int32_data = 5 [packed = true];
  repeated bytes string_data = 6;
  repeated int64 int64_data = 7 [packed = true];
  string name = 8;
  string doc_string = 12;
  bytes raw_data = 9;
  repeated double double_data = 10 [packed = true];
}

message TensorShapeProto {
  message Dimension {
    oneof value {
      int64 dim_value = 1;
      string dim_param = 2;
    };
    string denotation = 3;
  };
  repeated Dimension dim = 1;
}

message TypeProto {
  message Tensor {
    int32 elem_type = 1;
    TensorShapeProto shape = 2;
  }
  oneof value {
    Tensor tensor_type = 1;
  }
  string denotation = 6;
}

message OperatorSetIdProto {
  string domain = 1;
  int64 version = 2;
}
`;

let cachedRoot: Root | undefined;

function onnxRoot(): Root {
  cachedRoot ??= protobuf.parse(ONNX_SCHEMA_SUBSET, { keepCase: true }).root;
  return cachedRoot;
}

/** The protobufjs type of an ONNX message, e.g. `onnxMessageType('ModelProto')`. */
export function onnxMessageType(name: 'ModelProto' | 'GraphProto' | 'NodeProto' | 'TensorProto'): Type {
  return onnxRoot().lookupType(`onnx.${name}`);
}

/** The packed wire payload of `repeated float` values: little-endian IEEE 754 single precision. */
export function packFloats(values: ArrayLike<number>): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  for (let index = 0; index < values.length; index++) view.setFloat32(index * 4, values[index] as number, true);
  return bytes;
}

/**
 * The packed wire payload of `repeated int64` values: base-128 varints.
 *
 * @throws RangeError for a negative or non-integer value (never needed here: ids, indices and flags).
 */
export function packVarints(values: ArrayLike<number>): Uint8Array {
  let length = 0;
  for (let index = 0; index < values.length; index++) {
    const value = values[index] as number;
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`packVarints: value ${value} at index ${index} is not a non-negative safe integer`);
    }
    for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length++;
    length++;
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (let index = 0; index < values.length; index++) {
    let value = values[index] as number;
    while (value >= 0x80) {
      bytes[offset++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    bytes[offset++] = value;
  }
  return bytes;
}

/** `TensorProto.DataType` values used by the exporter. */
export const OnnxDataType = {
  FLOAT: 1,
  INT64: 7,
  STRING: 8,
  DOUBLE: 11,
} as const;

/** `AttributeProto.AttributeType` values used by the exporter. */
export const OnnxAttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;
