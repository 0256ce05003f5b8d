import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { predictRows } from '../../../src/evaluate.js';
import {
  buildOnnxModel,
  ONNX_IR_VERSION,
  ONNX_ML_OPSET_VERSION,
  ONNX_OPSET_VERSION,
  ONNX_OUTPUT_NAME,
  OnnxExportError,
} from '../../../src/export/onnx.js';
import { buildFeeds, loadOnnxScorer, OnnxInputError, scoreWithOnnx } from '../../../src/export/onnx-runtime.js';
import { onnxMessageType } from '../../../src/export/onnx-schema.js';
import type { FittedPipeline } from '../../../src/model.js';
import { TINY_CASES, tinyPipeline } from '../../helpers/export-fixtures.js';

interface DecodedModel {
  ir_version: number;
  producer_name: string;
  doc_string: string;
  opset_import: { domain: string; version: number }[];
  metadata_props: { key: string; value: string }[];
  graph: {
    node: { op_type: string; domain: string }[];
    input: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string }[] } } } }[];
    output: { name: string; type: { tensor_type: { elem_type: number; shape: { dim: unknown[] } } } }[];
  };
}

function decode(bytes: Uint8Array): DecodedModel {
  const type = onnxMessageType('ModelProto');
  return type.toObject(type.decode(bytes), { longs: Number, defaults: true }) as unknown as DecodedModel;
}

describe('buildOnnxModel', () => {
  it.each(TINY_CASES)('scores "$description" in ONNX Runtime as computed by hand', async ({ row, expected }) => {
    // Given
    const pipeline = tinyPipeline();
    const model = buildOnnxModel(pipeline);

    // When
    const [price] = await scoreWithOnnx(model, [row], pipeline.preprocessor.inputColumns);

    // Then
    expect(price).toBeCloseTo(expected, 4);
  });

  it('agrees with the TypeScript evaluator on every hand-made row in one batch', async () => {
    // Given
    const pipeline = tinyPipeline();
    const rows = TINY_CASES.map((testCase) => testCase.row);

    // When
    const onnx = await scoreWithOnnx(buildOnnxModel(pipeline), rows, pipeline.preprocessor.inputColumns);

    // Then
    expect(Array.from(onnx)).toEqual(Array.from(predictRows(pipeline, rows)));
  });

  it('declares one shape-free input per raw column (double for numbers, string for text) and an [N, 1] float output', () => {
    // Given
    const pipeline = tinyPipeline();

    // When
    const model = decode(buildOnnxModel(pipeline));

    // Then
    const inputs = model.graph.input.map((input) => ({
      name: input.name,
      elemType: input.type.tensor_type.elem_type,
      hasShape: input.type.tensor_type.shape != null,
    }));
    expect(inputs).toEqual([
      { name: 'area', elemType: 11, hasShape: false },
      { name: 'color', elemType: 8, hasShape: false },
      { name: 'note', elemType: 8, hasShape: false },
      { name: 'lat', elemType: 11, hasShape: false },
    ]);
    expect(model.graph.output).toHaveLength(1);
    expect(model.graph.output[0]?.name).toBe(ONNX_OUTPUT_NAME);
    expect(model.graph.output[0]?.type.tensor_type.elem_type).toBe(1);
    expect(model.graph.output[0]?.type.tensor_type.shape.dim).toHaveLength(2);
  });

  it('records IR version, both opsets, producer, doc string and metadata', () => {
    // Given
    const pipeline = tinyPipeline();

    // When
    const model = decode(buildOnnxModel(pipeline, { metadata: { run_id: 'abc123' } }));

    // Then
    expect(model.ir_version).toBe(ONNX_IR_VERSION);
    expect(model.opset_import).toEqual([
      { domain: '', version: ONNX_OPSET_VERSION },
      { domain: 'ai.onnx.ml', version: ONNX_ML_OPSET_VERSION },
    ]);
    expect(model.producer_name).toBe('@mlms/housing-price-model');
    expect(model.doc_string).toContain('2 trees');
    const metadata = Object.fromEntries(model.metadata_props.map(({ key, value }) => [key, value]));
    expect(metadata).toMatchObject({ target: 'price', n_trees: '2', n_features: '4', run_id: 'abc123' });
    expect(JSON.parse(metadata.dropped_columns ?? '')).toEqual(['note']);
  });

  it('builds the graph from Imputer, LabelEncoder, OneHotEncoder, Concat and TreeEnsembleRegressor', () => {
    // Given
    const pipeline = tinyPipeline();

    // When
    const operators = decode(buildOnnxModel(pipeline)).graph.node.map((node) => `${node.domain}:${node.op_type}`);

    // Then
    expect(operators).toEqual([
      ':Reshape',
      ':Reshape',
      ':Concat',
      ':Cast',
      'ai.onnx.ml:Imputer',
      ':Reshape',
      'ai.onnx.ml:LabelEncoder',
      'ai.onnx.ml:OneHotEncoder',
      ':Concat',
      'ai.onnx.ml:TreeEnsembleRegressor',
    ]);
  });

  it('rejects a pipeline whose forest expects a different feature count', () => {
    // Given
    const pipeline: FittedPipeline = { ...tinyPipeline(), forest: { ...tinyPipeline().forest, nFeatures: 5 } };

    // When
    const build = () => buildOnnxModel(pipeline);

    // Then
    expect(build).toThrow(OnnxExportError);
    expect(build).toThrow(/the steps make 4 features, featureNames lists 4, the forest expects 5/);
  });

  it('rejects a tree whose child index points outside the tree', () => {
    // Given
    const pipeline = tinyPipeline();
    const tree = pipeline.forest.trees[1];
    if (tree) tree.right[0] = 7;

    // When
    const build = () => buildOnnxModel(pipeline);

    // Then
    expect(build).toThrow(/tree 1, node 0: feature 3 \/ children 1, 7 out of range/);
  });

  it('rejects an input column named like the output instead of silently renaming it', () => {
    // Given
    const pipeline = tinyPipeline();
    pipeline.preprocessor.inputColumns.push({ name: ONNX_OUTPUT_NAME, type: 'double' });

    // When
    const build = () => buildOnnxModel(pipeline);

    // Then
    expect(build).toThrow(/value name 'variable' is used twice/);
  });
});

describe('buildFeeds', () => {
  it('sends missing numbers as NaN, missing text as "" and numbers in text columns as text', () => {
    // Given
    const { inputColumns } = tinyPipeline().preprocessor;

    // When
    const feeds = buildFeeds([{ area: null, color: undefined, note: 7, lat: 'NaN' }], inputColumns);

    // Then
    expect(Array.from(feeds.area?.data as Float64Array)).toEqual([Number.NaN]);
    expect(feeds.color?.data).toEqual(['']);
    expect(feeds.note?.data).toEqual(['7']);
    expect(Array.from(feeds.lat?.data as Float64Array)).toEqual([Number.NaN]);
    expect(feeds.area?.dims).toEqual([1, 1]);
  });

  it('gives the same prices for [N, 1] feeds (skl2onnx layout) and [N] feeds (how MLflow pyfunc feeds a DataFrame)', async () => {
    // Given
    const pipeline = tinyPipeline();
    const rows = TINY_CASES.map((testCase) => testCase.row);
    const columnFeeds = buildFeeds(rows, pipeline.preprocessor.inputColumns);
    const flatFeeds = Object.fromEntries(
      Object.entries(columnFeeds).map(([name, tensor]) => [
        name,
        new ort.Tensor(tensor.type, tensor.data, [rows.length]),
      ]),
    );
    const session = await ort.InferenceSession.create(buildOnnxModel(pipeline), { logSeverityLevel: 3 });

    // When
    const fromColumns = (await session.run(columnFeeds))[ONNX_OUTPUT_NAME]?.data;
    const fromFlat = (await session.run(flatFeeds))[ONNX_OUTPUT_NAME]?.data;
    await session.release();

    // Then
    expect(Array.from(fromFlat as Float32Array)).toEqual(Array.from(fromColumns as Float32Array));
    expect(fromColumns).toHaveLength(rows.length);
  });

  it('names the row, column and value when a numeric column holds text', () => {
    // Given
    const { inputColumns } = tinyPipeline().preprocessor;

    // When
    const build = () => buildFeeds([{ area: 1 }, { area: 'big' }], inputColumns);

    // Then
    expect(build).toThrow(OnnxInputError);
    expect(build).toThrow(`row 1, column 'area': "big" is not a number`);
  });
});

describe('loadOnnxScorer', () => {
  it('scores several batches with one session and returns an empty array for no rows', async () => {
    // Given
    const pipeline = tinyPipeline();
    const scorer = await loadOnnxScorer(buildOnnxModel(pipeline), pipeline.preprocessor.inputColumns, { threads: 1 });

    // When
    const first = await scorer.score([TINY_CASES[0]?.row ?? {}]);
    const none = await scorer.score([]);
    await scorer.release();

    // Then
    expect(Array.from(first)).toEqual([TINY_CASES[0]?.expected]);
    expect(none).toHaveLength(0);
  });
});
