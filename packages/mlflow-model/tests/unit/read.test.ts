import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MlflowModelError, readOnnxMlflowModel, writeOnnxModelDirectory } from '../../src/index.js';

const INPUTS = [
  { type: 'double' as const, name: 'area', required: true },
  { type: 'string' as const, name: 'zone', required: true },
];
const OUTPUTS = [{ type: 'float' as const, name: 'variable', required: true }];

describe('readOnnxMlflowModel', () => {
  let root: string;
  let modelDir: string;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'mlflow-model-'));
    modelDir = join(root, 'model');
    await writeOnnxModelDirectory({
      directory: modelDir,
      onnxModel: new Uint8Array([8, 8]),
      onnxVersion: '1.12.0',
      inputs: INPUTS,
      outputs: OUTPUTS,
      inputExample: {
        columns: ['area', 'zone'],
        data: [
          [1, 'RL'],
          [null, null],
        ],
      },
      runId: '0123456789abcdef0123456789abcdef',
      createdAt: new Date('2025-01-02T03:04:05.006Z'),
    });
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function rewriteMlmodel(edit: (text: string) => string): Promise<void> {
    const { readFile } = await import('node:fs/promises');
    const path = join(modelDir, 'MLmodel');
    await writeFile(path, edit(await readFile(path, 'utf8')));
  }

  async function readError(directory = modelDir): Promise<MlflowModelError> {
    const error = await readOnnxMlflowModel(directory).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(MlflowModelError);
    return error as MlflowModelError;
  }

  it('reads what the writer wrote: flavours, signature, versions, run id and examples', async () => {
    // When
    const model = await readOnnxMlflowModel(modelDir);

    // Then
    expect(model.flavors).toEqual(['onnx', 'python_function']);
    expect(model.onnx).toEqual({ modelPath: join(modelDir, 'model.onnx'), onnxVersion: '1.12.0' });
    expect(model.signature).toEqual({ inputs: INPUTS, outputs: OUTPUTS });
    expect(model.runId).toBe('0123456789abcdef0123456789abcdef');
    expect(model.inputExample).toEqual({
      columns: ['area', 'zone'],
      data: [
        [1, 'RL'],
        [null, null],
      ],
    });
    expect(model.servingInputExample).toEqual({ dataframe_split: model.inputExample });
    expect(model.document.utc_time_created).toBe('2025-01-02 03:04:05.006000');
  });

  it('names the directory when it does not exist', async () => {
    // When
    const error = await readError(join(root, 'nowhere'));

    // Then
    expect(error.file).toBe(join(root, 'nowhere'));
    expect(error.problem).toBe('no such directory');
  });

  it('names the directory when MODEL_URI points at a file', async () => {
    // When
    const error = await readError(join(modelDir, 'MLmodel'));

    // Then
    expect(error.problem).toBe('is a file; expected an MLflow model directory');
  });

  it('names MLmodel when it is missing', async () => {
    // Given
    await rm(join(modelDir, 'MLmodel'));

    // When
    const error = await readError();

    // Then
    expect(error.file).toBe(join(modelDir, 'MLmodel'));
    expect(error.problem).toMatch(/^not found; an MLflow model directory holds an MLmodel file/);
  });

  it('reports YAML that does not parse, with the parser message', async () => {
    // Given
    await writeFile(join(modelDir, 'MLmodel'), 'flavors: [unclosed\n');

    // When
    const error = await readError();

    // Then
    expect(error.message).toMatch(/MLmodel: not valid YAML \(/);
  });

  it('reports a YAML document that is not an MLmodel (no flavors)', async () => {
    // Given
    await writeFile(join(modelDir, 'MLmodel'), 'just: text\n');

    // When
    const error = await readError();

    // Then
    expect(error.problem).toMatch(/^not an MLmodel file: flavors: /);
  });

  it('refuses a model without an onnx flavour and lists the flavours it has', async () => {
    // Given
    await rewriteMlmodel((text) => text.replace('  onnx:\n', '  sklearn:\n'));

    // When
    const error = await readError();

    // Then
    expect(error.problem).toBe(
      "no 'onnx' flavor (the model has: sklearn, python_function); this server serves ONNX models",
    );
  });

  it('names the ONNX file when the flavour points at a file that is not there', async () => {
    // Given
    await rm(join(modelDir, 'model.onnx'));

    // When
    const error = await readError();

    // Then
    expect(error.file).toBe(join(modelDir, 'model.onnx'));
    expect(error.problem).toBe('not found (flavors.onnx.data in MLmodel names it)');
  });

  it('refuses a model without a signature', async () => {
    // Given
    await rewriteMlmodel((text) => text.replace(/signature:\n( {2}.*\n)+/, ''));

    // When
    const error = await readError();

    // Then
    expect(error.problem).toMatch(/^no signature; log the model with a signature/);
  });

  it('refuses a tensor-based signature', async () => {
    // Given
    await rewriteMlmodel((text) =>
      text.replace(
        / {2}inputs: [\s\S]*?\n {2}outputs:/,
        `  inputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}}]'\n  outputs:`,
      ),
    );

    // When
    const error = await readError();

    // Then
    expect(error.problem).toMatch(/^signature.inputs\[0\] is a tensor spec; only column-based signatures/);
  });

  it('refuses a column type it cannot check, listing the supported ones', async () => {
    // Given
    await rewriteMlmodel((text) => text.replace('"type": "double"', '"type": "array"'));

    // When
    const error = await readError();

    // Then
    expect(error.problem).toBe(
      'signature.inputs[0]: "array" is not a supported column type; supported: boolean, integer, long, float, ' +
        'double, string, binary, datetime',
    );
  });

  it('refuses unnamed or duplicated input columns', async () => {
    // Given
    await rewriteMlmodel((text) => text.replace('"name": "zone"', '"name": "area"'));

    // When
    const error = await readError();

    // Then
    expect(error.problem).toBe("signature.inputs lists the column 'area' twice");
  });

  it('reads a spec without `required` as required, as MLflow does', async () => {
    // Given
    await rewriteMlmodel((text) => text.replace(', "required": true}, {"type": "string"', '}, {"type": "string"'));

    // When
    const model = await readOnnxMlflowModel(modelDir);

    // Then
    expect(model.signature.inputs[0]).toEqual({ type: 'double', name: 'area', required: true });
  });

  it('accepts a model without examples or declared outputs', async () => {
    // Given
    await rewriteMlmodel((text) =>
      text.replace(/saved_input_example_info:\n( {2}.*\n)+/, '').replace(/ {2}outputs: .*\n/, ''),
    );

    // When
    const model = await readOnnxMlflowModel(modelDir);

    // Then
    expect(model.inputExample).toBeNull();
    expect(model.servingInputExample).toBeNull();
    expect(model.signature.outputs).toBeNull();
  });

  it('names an example file that is not valid JSON', async () => {
    // Given
    await writeFile(join(modelDir, 'serving_input_example.json'), '{"dataframe_split": ');

    // When
    const error = await readError();

    // Then
    expect(error.file).toBe(join(modelDir, 'serving_input_example.json'));
    expect(error.problem).toMatch(/^not valid JSON \(/);
  });

  it('names an input example that is not a split-orient frame', async () => {
    // Given
    await writeFile(join(modelDir, 'input_example.json'), '{"columns": "area"}');

    // When
    const error = await readError();

    // Then
    expect(error.problem).toMatch(/^not a split-orient DataFrame example: /);
  });

  it('refuses a serving example that is not a JSON object', async () => {
    // Given
    await writeFile(join(modelDir, 'serving_input_example.json'), '[1, 2]');

    // When
    const error = await readError();

    // Then
    expect(error.problem).toBe('expected a JSON object (a request body for /invocations)');
  });

  it('names an unreadable MLmodel path (a directory where the file should be)', async () => {
    // Given
    await rm(join(modelDir, 'MLmodel'));
    await mkdir(join(modelDir, 'MLmodel'));

    // When
    const error = await readError();

    // Then
    expect(error.problem).toBe('cannot be read (EISDIR)');
  });
});
