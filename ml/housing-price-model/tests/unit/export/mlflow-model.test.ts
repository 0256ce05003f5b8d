import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MLFLOW_VERSION, readOnnxMlflowModel } from '@mlms/mlflow-model';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { signatureInputs, toSplitFrame, writeMlflowModel } from '../../../src/export/mlflow-model.js';
import { buildOnnxModel, ONNX_PACKAGE_VERSION } from '../../../src/export/onnx.js';
import type { RawRow } from '../../../src/model.js';
import { temporaryDirectory, tinyPipeline } from '../../helpers/export-fixtures.js';

const EXAMPLE_ROWS: RawRow[] = [
  { area: 100, color: 'red', note: null, lat: 0.25 },
  { area: null, color: 'blue', note: 'z', lat: 1 },
];
const RUN_ID = '0123456789abcdef0123456789abcdef';

describe('writeMlflowModel', () => {
  let directory: string;
  let remove: () => Promise<void>;

  beforeEach(async () => {
    ({ path: directory, remove } = await temporaryDirectory('mlflow-model'));
  });
  afterEach(async () => {
    await remove();
  });

  async function writeTinyModel() {
    const pipeline = tinyPipeline();
    return writeMlflowModel({
      directory: join(directory, 'model'),
      onnxModel: buildOnnxModel(pipeline),
      inputColumns: pipeline.preprocessor.inputColumns,
      exampleRows: EXAMPLE_ROWS,
      runId: RUN_ID,
      createdAt: new Date('2024-03-05T07:08:09.123Z'),
    });
  }

  it('writes MLmodel with MLflow keys in PyYAML (alphabetical) order', async () => {
    // Given
    await writeTinyModel();

    // When
    const mlmodel = parseYaml(await readFile(join(directory, 'model', 'MLmodel'), 'utf8'), { version: '1.1' });

    // Then
    expect(Object.keys(mlmodel)).toEqual([
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
    expect(mlmodel.artifact_path).toBe('model');
    expect(mlmodel.mlflow_version).toBe(MLFLOW_VERSION);
    expect(mlmodel.model_uuid).toMatch(/^[0-9a-f]{32}$/);
    expect(mlmodel.run_id).toBe(RUN_ID);
    expect(mlmodel.utc_time_created).toBe('2024-03-05 07:08:09.123000');
  });

  it('declares the onnx and python_function flavours as mlflow.onnx.save_model does', async () => {
    // Given
    await writeTinyModel();

    // When
    const { flavors } = parseYaml(await readFile(join(directory, 'model', 'MLmodel'), 'utf8'), { version: '1.1' });

    // Then
    expect(flavors).toEqual({
      onnx: { code: null, data: 'model.onnx', onnx_version: ONNX_PACKAGE_VERSION, providers: ['CPUExecutionProvider'] },
      python_function: {
        data: 'model.onnx',
        env: { conda: 'conda.yaml', virtualenv: 'python_env.yaml' },
        loader_module: 'mlflow.onnx',
        python_version: expect.stringMatching(/^3\.\d+\.\d+$/),
      },
    });
  });

  it('stores the signature as JSON strings: one column per raw input and the float price output', async () => {
    // Given
    await writeTinyModel();

    // When
    const { signature } = parseYaml(await readFile(join(directory, 'model', 'MLmodel'), 'utf8'), {
      version: '1.1',
    });

    // Then
    expect(typeof signature.inputs).toBe('string');
    expect(JSON.parse(signature.inputs)).toEqual([
      { type: 'double', name: 'area', required: true },
      { type: 'string', name: 'color', required: true },
      { type: 'string', name: 'note', required: true },
      { type: 'double', name: 'lat', required: true },
    ]);
    expect(signature.outputs).toBe('[{"type": "float", "name": "variable", "required": true}]');
    expect(signature.params).toBeNull();
  });

  it('points saved_input_example_info at the two example files', async () => {
    // Given
    await writeTinyModel();

    // When
    const mlmodel = parseYaml(await readFile(join(directory, 'model', 'MLmodel'), 'utf8'), { version: '1.1' });

    // Then
    expect(mlmodel.saved_input_example_info).toEqual({
      artifact_path: 'input_example.json',
      pandas_orient: 'split',
      serving_input_path: 'serving_input_example.json',
      type: 'dataframe',
    });
  });

  it('writes the input example in split orient without index, missing values as null', async () => {
    // Given
    await writeTinyModel();

    // When
    const example = JSON.parse(await readFile(join(directory, 'model', 'input_example.json'), 'utf8'));
    const serving = JSON.parse(await readFile(join(directory, 'model', 'serving_input_example.json'), 'utf8'));

    // Then
    expect(example).toEqual({
      columns: ['area', 'color', 'note', 'lat'],
      data: [
        [100, 'red', null, 0.25],
        [null, 'blue', 'z', 1],
      ],
    });
    expect(serving).toEqual({ dataframe_split: example });
  });

  it('counts model.onnx and the examples in model_size_bytes, as MLflow does before writing MLmodel', async () => {
    // Given
    const info = await writeTinyModel();

    // When
    const sizes = await Promise.all(
      ['model.onnx', 'input_example.json', 'serving_input_example.json'].map(
        async (file) => (await stat(join(directory, 'model', file))).size,
      ),
    );

    // Then
    expect(info.modelSizeBytes).toBe(sizes.reduce((sum, size) => sum + size, 0));
    expect(info.mlmodelText).toContain(`model_size_bytes: ${info.modelSizeBytes}`);
  });

  it('reads back with the format package: signature, ONNX file, run id and both examples', async () => {
    // Given
    const info = await writeTinyModel();

    // When
    const model = await readOnnxMlflowModel(join(directory, 'model'));

    // Then
    expect(model.signature.inputs.map((column) => column.name)).toEqual(['area', 'color', 'note', 'lat']);
    expect(model.signature.outputs).toEqual([{ type: 'float', name: 'variable', required: true }]);
    expect(model.onnx).toEqual({
      modelPath: join(directory, 'model', 'model.onnx'),
      onnxVersion: ONNX_PACKAGE_VERSION,
    });
    expect(model.runId).toBe(RUN_ID);
    expect(model.modelUuid).toBe(info.modelUuid);
    expect(model.inputExample?.data).toHaveLength(2);
    expect(model.servingInputExample).toEqual({ dataframe_split: model.inputExample });
  });

  it('writes requirements.txt, python_env.yaml and conda.yaml naming mlflow, onnx and onnxruntime', async () => {
    // Given
    await writeTinyModel();

    // When
    const requirements = await readFile(join(directory, 'model', 'requirements.txt'), 'utf8');
    const pythonEnv = parseYaml(await readFile(join(directory, 'model', 'python_env.yaml'), 'utf8'));
    const conda = parseYaml(await readFile(join(directory, 'model', 'conda.yaml'), 'utf8'));

    // Then
    expect(requirements.split('\n')).toEqual([
      `mlflow==${MLFLOW_VERSION}`,
      `onnx==${ONNX_PACKAGE_VERSION}`,
      expect.stringMatching(/^onnxruntime==\d+\.\d+\.\d+$/),
    ]);
    expect(Object.keys(pythonEnv)).toEqual(['python', 'build_dependencies', 'dependencies']);
    expect(pythonEnv.dependencies).toEqual(['-r requirements.txt']);
    expect(conda.name).toBe('mlflow-env');
    expect(conda.dependencies.at(-1)).toEqual({ pip: requirements.split('\n') });
  });
});

describe('signatureInputs', () => {
  it('marks every column required, since the graph has one input per column and needs them all', () => {
    // Given
    const columns = [
      { name: 'a', type: 'long' as const },
      { name: 'b', type: 'double' as const },
      { name: 'c', type: 'string' as const },
    ];

    // When
    const specs = signatureInputs(columns);

    // Then
    expect(specs).toEqual([
      { type: 'double', name: 'a', required: true },
      { type: 'double', name: 'b', required: true },
      { type: 'string', name: 'c', required: true },
    ]);
  });
});

describe('toSplitFrame', () => {
  it('keeps column order and turns undefined and NaN into null', () => {
    // Given
    const columns = [
      { name: 'x', type: 'double' as const },
      { name: 'y', type: 'string' as const },
    ];

    // When
    const frame = toSplitFrame([{ y: 'k', x: Number.NaN }, { x: 2 }], columns);

    // Then
    expect(frame).toEqual({
      columns: ['x', 'y'],
      data: [
        [null, 'k'],
        [2, null],
      ],
    });
  });
});
