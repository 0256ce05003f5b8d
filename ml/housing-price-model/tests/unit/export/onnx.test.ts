import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { predictRows } from '../../../src/evaluate.js';
import {
  buildOnnxModel,
  ONNX_IR_VERSION,
  ONNX_ML_OPSET_VERSION,
  ONNX_OPSET_VERSION,
  ONNX_OUTPUT_NAME,
  ONNX_PACKAGE_VERSION,
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
    input: DecodedValueInfo[];
    output: DecodedValueInfo[];
    value_info: DecodedValueInfo[];
  };
}

interface DecodedValueInfo {
  name: string;
  type: { tensor_type: { elem_type: number; shape: { dim: { dim_param?: string; dim_value?: number }[] } } };
}

/** A value info as `name elem_type [dims]`, e.g. `area 11 [N]`. */
function describeValue(value: DecodedValueInfo): string {
  const dims = value.type.tensor_type.shape.dim.map((dim) => dim.dim_param || String(dim.dim_value));
  return `${value.name} ${value.type.tensor_type.elem_type} [${dims.join(', ')}]`;
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

  it('declares one [N] input per raw column (double for numbers, string for text) and an [N, 1] float output', () => {
    // Given
    const pipeline = tinyPipeline();

    // When
    const model = decode(buildOnnxModel(pipeline));

    // Then
    expect(model.graph.input.map(describeValue)).toEqual(['area 11 [N]', 'color 8 [N]', 'note 8 [N]', 'lat 11 [N]']);
    expect(model.graph.output.map(describeValue)).toEqual([`${ONNX_OUTPUT_NAME} 1 [N, 1]`]);
  });

  it('declares the float outputs of Imputer and OneHotEncoder, which onnx 1.12 cannot infer', () => {
    // Given
    const pipeline = tinyPipeline();

    // When
    const model = decode(buildOnnxModel(pipeline));

    // Then
    expect(model.graph.value_info.map(describeValue)).toEqual([
      'numeric/imputed 1 [N, 2]',
      'categorical/color/one_hot 1 [N, 2]',
    ]);
  });

  it('records IR version 8, opsets 17 and ml 3 (onnx 1.12), producer, doc string and metadata', () => {
    // Given
    const pipeline = tinyPipeline();

    // When
    const model = decode(buildOnnxModel(pipeline, { metadata: { run_id: 'abc123' } }));

    // Then
    const versions = { ir: ONNX_IR_VERSION, opset: ONNX_OPSET_VERSION, ml: ONNX_ML_OPSET_VERSION };
    expect({ ...versions, onnx: ONNX_PACKAGE_VERSION }).toEqual({ ir: 8, opset: 17, ml: 3, onnx: '1.12.0' });
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
      ':Unsqueeze',
      ':Unsqueeze',
      ':Concat',
      ':Cast',
      'ai.onnx.ml:Imputer',
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

describe('missing text in the graph', () => {
  /**
   * {@link tinyPipeline} with the level `red` renamed `None` (a real Ames level) and `blue` the most frequent level.
   * Tree A: area <= 150 → 10; else color=None <= 0.5 → 20, else 30. Tree B: color=blue <= 0.5 → 100, else 200.
   */
  function pipelineWithNoneLevel(): FittedPipeline {
    const pipeline = tinyPipeline();
    pipeline.preprocessor.categorical = [{ name: 'color', mostFrequent: 'blue', levels: ['None', 'blue'] }];
    pipeline.preprocessor.featureNames = ['area', 'lat', 'color_None', 'color_blue'];
    return pipeline;
  }

  const CASES = [
    { color: 'nan', expected: (20 + 200) / 2, meaning: 'missing (pandas NaN through ONNX Runtime) → blue' },
    { color: 'NaN', expected: (20 + 200) / 2, meaning: 'missing → blue' },
    { color: 'NA', expected: (20 + 200) / 2, meaning: 'missing → blue' },
    { color: '', expected: (20 + 200) / 2, meaning: 'missing → blue' },
    { color: 'None', expected: (30 + 100) / 2, meaning: 'the level None' },
    { color: ' NA', expected: (20 + 100) / 2, meaning: 'an unknown level (no trimming) → zeros' },
  ];

  it('imputes "nan", "NaN", "NA" and "" but keeps "None" as a level, fed straight to ONNX Runtime', async () => {
    // Given: raw [N] tensors, as MLflow's pyfunc feeds them (no buildFeeds normalisation)
    const session = await ort.InferenceSession.create(buildOnnxModel(pipelineWithNoneLevel()), {
      logSeverityLevel: 3,
    });
    const n = CASES.length;
    const feeds = {
      area: new ort.Tensor('float64', new Float64Array(n).fill(200), [n]),
      color: new ort.Tensor(
        'string',
        CASES.map((testCase) => testCase.color),
        [n],
      ),
      note: new ort.Tensor('string', Array(n).fill('x'), [n]),
      lat: new ort.Tensor('float64', new Float64Array(n).fill(1), [n]),
    };

    // When
    const prices = (await session.run(feeds))[ONNX_OUTPUT_NAME]?.data as Float32Array;
    await session.release();

    // Then
    expect(Array.from(prices)).toEqual(CASES.map((testCase) => testCase.expected));
  });

  it('gives the same prices in the TypeScript evaluator and through scoreWithOnnx', async () => {
    // Given
    const pipeline = pipelineWithNoneLevel();
    const rows = CASES.map((testCase) => ({ area: 200, color: testCase.color, note: 'x', lat: 1 }));

    // When
    const reference = predictRows(pipeline, rows);
    const onnx = await scoreWithOnnx(buildOnnxModel(pipeline), rows, pipeline.preprocessor.inputColumns);

    // Then
    expect(Array.from(reference)).toEqual(CASES.map((testCase) => testCase.expected));
    expect(Array.from(onnx)).toEqual(Array.from(reference));
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
  });

  it('feeds rank-1 [N] tensors, the shape the graph declares and MLflow pyfunc feeds', () => {
    // Given
    const { inputColumns } = tinyPipeline().preprocessor;
    const rows = TINY_CASES.map((testCase) => testCase.row);

    // When
    const feeds = buildFeeds(rows, inputColumns);

    // Then
    expect(Object.keys(feeds)).toEqual(['area', 'color', 'note', 'lat']);
    expect(Object.values(feeds).map((tensor) => tensor.dims)).toEqual(Array(4).fill([rows.length]));
  });

  it('rejects an [N, 1] feed (skl2onnx layout): the inputs are declared rank 1', async () => {
    // Given
    const pipeline = tinyPipeline();
    const feeds = buildFeeds([TINY_CASES[0]?.row ?? {}], pipeline.preprocessor.inputColumns);
    const area = feeds.area as ort.Tensor;
    feeds.area = new ort.Tensor('float64', area.data as Float64Array, [1, 1]);
    const session = await ort.InferenceSession.create(buildOnnxModel(pipeline), { logSeverityLevel: 3 });

    // When
    const run = session.run(feeds);

    // Then
    await expect(run).rejects.toThrow(/rank/i);
    await session.release();
  });

  it('sends missing markers in text columns as "" and other text, "None" and " NA" included, unchanged', () => {
    // Given
    const { inputColumns } = tinyPipeline().preprocessor;
    const colors = ['nan', 'NaN', 'NA', 'None', ' NA', 'red'];

    // When
    const feeds = buildFeeds(
      colors.map((color) => ({ color })),
      inputColumns,
    );

    // Then
    expect(feeds.color?.data).toEqual(['', '', '', 'None', ' NA', 'red']);
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
