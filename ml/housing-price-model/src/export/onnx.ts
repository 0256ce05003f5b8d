import { readFileSync } from 'node:fs';
import { MISSING_MARKERS } from '../data/dataset.js';
import type { CategoricalColumnStep, FittedPipeline, RawColumn, RegressionTree } from '../model.js';
import { OnnxAttributeType, OnnxDataType, onnxMessageType, packFloats, packVarints } from './onnx-schema.js';

/**
 * ONNX versions the graph is written against: IR 8 with the `ai.onnx` opset 17 and the `ai.onnx.ml` opset 3, the
 * newest set the `onnx` 1.12 release defines (Debian's `python3-onnx` checks it; ONNX Runtime loads it from 1.12
 * on). Nothing in the graph needs more. Operator versions these opsets resolve to: `Unsqueeze`-13 (axes as an
 * input), `Concat`-13 and `Cast`-13 from `ai.onnx`; `Imputer`-1, `OneHotEncoder`-1, `LabelEncoder`-2 (string keys
 * and values, `default_string`) and `TreeEnsembleRegressor`-3 (the attributes written here are all from version
 * 1) from `ai.onnx.ml`. The ML opset must in any case stay below 5, where `TreeEnsembleRegressor` is deprecated.
 */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET_VERSION = 17;
export const ONNX_ML_OPSET_VERSION = 3;
/** The `onnx` Python package release whose IR and opsets the graph uses (MLmodel `onnx_version`). */
export const ONNX_PACKAGE_VERSION = '1.12.0';

/** Name of the price output, as skl2onnx names a regressor's output. */
export const ONNX_OUTPUT_NAME = 'variable';

const ML_DOMAIN = 'ai.onnx.ml';
/** Symbolic batch dimension of every input (`[N]`) and of the output (`[N, 1]`). */
const BATCH_DIM = 'N';

/**
 * Element type of each graph input for a raw column type. Numeric columns, `long` included, are `tensor(double)`:
 * JSON has a single number type and no integer NaN, so a missing numeric value can only travel as a NaN double
 * (see the README section "ONNX graph" for how MLflow's pyfunc feeds the model).
 */
export function onnxInputElementType(column: RawColumn): 'double' | 'string' {
  return column.type === 'string' ? 'string' : 'double';
}

/** The exported graph does not match the fitted pipeline it was built from. */
export class OnnxExportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OnnxExportError';
  }
}

export interface OnnxExportOptions {
  /** Free text stored as the model's `doc_string`. */
  docString?: string;
  /** Extra `metadata_props` entries (run id, data hash...), added after the built-in ones. */
  metadata?: Record<string, string>;
}

/**
 * Writes the whole fitted pipeline as one ONNX model (a serialized `ModelProto`).
 *
 * Graph: one rank-1 input of shape `[N]` per raw column (`tensor(double)` for numeric columns, `tensor(string)` for
 * text), which is what MLflow's ONNX pyfunc feeds (`data[name].values`, one `DataFrame` column each). Numeric
 * columns are unsqueezed to `[N, 1]`, stacked into `[N, numeric]`, cast to float and passed through an `Imputer`
 * that replaces NaN by the training medians. Each text column goes through a `LabelEncoder` that maps the missing
 * markers (exactly `""`, `NA`, `NaN`, `nan`; never `None`, a real level) to its most frequent training level, keeps
 * known levels and sends anything else to a sentinel, then a `OneHotEncoder` with `zeros=1` appends the category
 * axis, `[N]` → `[N, levels]` (unknown level or sentinel: all zeros). The blocks are concatenated in
 * `featureNames` order and fed to a `TreeEnsembleRegressor` (`BRANCH_LEQ` on float32 thresholds, `AVERAGE` of the
 * trees) whose `[N, 1]` float output is named {@link ONNX_OUTPUT_NAME}. Dropped columns are inputs that no node
 * reads, so clients send the same columns the signature lists. The `Imputer` and `OneHotEncoder` outputs are
 * declared in `value_info`, which onnx 1.12's shape inference needs (it cannot infer them) to pass `full_check`.
 *
 * @throws OnnxExportError when the pipeline is inconsistent (feature count, unknown columns, tree indices).
 */
export function buildOnnxModel(pipeline: FittedPipeline, options: OnnxExportOptions = {}): Uint8Array {
  validatePipeline(pipeline);
  const graph = new GraphBuilder();
  const { preprocessor, forest } = pipeline;

  for (const column of preprocessor.inputColumns) {
    const elemType = onnxInputElementType(column) === 'string' ? OnnxDataType.STRING : OnnxDataType.DOUBLE;
    graph.addInput(column.name, elemType, [BATCH_DIM]);
  }

  const featureBlocks: string[] = [];

  if (preprocessor.numeric.length > 0) {
    const columnAxis = graph.addInitializer('const/axis_1', OnnxDataType.INT64, [1], [1]);
    const numericColumns = preprocessor.numeric.map((step) => {
      const asColumn = graph.name(`numeric/${step.name}/as_column`);
      graph.addNode('Unsqueeze', [step.name, columnAxis], [asColumn]);
      return asColumn;
    });
    const stacked = graph.name('numeric/stacked_double');
    graph.addNode('Concat', numericColumns, [stacked], [intAttribute('axis', 1)]);
    const asFloat = graph.name('numeric/stacked_float');
    graph.addNode('Cast', [stacked], [asFloat], [intAttribute('to', OnnxDataType.FLOAT)]);
    const imputed = graph.name('numeric/imputed');
    graph.addNode(
      'Imputer',
      [asFloat],
      [imputed],
      [
        floatsAttribute(
          'imputed_value_floats',
          preprocessor.numeric.map((step) => step.median),
        ),
        floatAttribute('replaced_value_float', Number.NaN),
      ],
      ML_DOMAIN,
    );
    // onnx 1.12 has no type inference for Imputer or OneHotEncoder, so their outputs would stay untyped and the strict
    // inference of `check_model(full_check=True)` would reject the Concat they feed; declaring them fixes that.
    graph.addValueInfo(imputed, OnnxDataType.FLOAT, [BATCH_DIM, preprocessor.numeric.length]);
    featureBlocks.push(imputed);
  }

  for (const step of preprocessor.categorical) {
    if (step.levels.length === 0) continue;
    // The input is already [N]; OneHotEncoder appends the category axis, giving [N, levels].
    const filled = graph.name(`categorical/${step.name}/filled`);
    graph.addNode('LabelEncoder', [step.name], [filled], missingToMostFrequent(step), ML_DOMAIN);
    const oneHot = graph.name(`categorical/${step.name}/one_hot`);
    graph.addNode(
      'OneHotEncoder',
      [filled],
      [oneHot],
      [stringsAttribute('cats_strings', step.levels), intAttribute('zeros', 1)],
      ML_DOMAIN,
    );
    graph.addValueInfo(oneHot, OnnxDataType.FLOAT, [BATCH_DIM, step.levels.length]); // see the Imputer above
    featureBlocks.push(oneHot);
  }

  const features = graph.name('features');
  graph.addNode('Concat', featureBlocks, [features], [intAttribute('axis', 1)]);
  graph.addNode(
    'TreeEnsembleRegressor',
    [features],
    [ONNX_OUTPUT_NAME],
    treeEnsembleAttributes(forest.trees),
    ML_DOMAIN,
  );
  graph.addOutput(ONNX_OUTPUT_NAME, OnnxDataType.FLOAT, [BATCH_DIM, 1]);

  const metadata: Record<string, string> = {
    target: preprocessor.target,
    n_trees: String(forest.trees.length),
    n_features: String(forest.nFeatures),
    numeric_input_type: 'double',
    input_columns: JSON.stringify(preprocessor.inputColumns.map((column) => column.name)),
    dropped_columns: JSON.stringify(preprocessor.droppedColumns),
    ...options.metadata,
  };

  const modelType = onnxMessageType('ModelProto');
  const model = modelType.fromObject({
    ir_version: ONNX_IR_VERSION,
    opset_import: [
      { domain: '', version: ONNX_OPSET_VERSION },
      { domain: ML_DOMAIN, version: ONNX_ML_OPSET_VERSION },
    ],
    producer_name: PRODUCER.name,
    producer_version: PRODUCER.version,
    domain: 'org.mlms.housing',
    model_version: 1,
    doc_string:
      options.docString ??
      `Random forest of ${forest.trees.length} trees predicting ${preprocessor.target} from ` +
        `${preprocessor.inputColumns.length} raw columns (imputation and one-hot encoding included).`,
    graph: {
      name: 'housing_price_pipeline',
      node: graph.nodes,
      initializer: graph.initializers,
      input: graph.inputs,
      output: graph.outputs,
      value_info: graph.valueInfos,
    },
    metadata_props: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  });
  return modelType.encode(model).finish();
}

/** Name and version of this package, recorded as the ONNX producer. */
const PRODUCER = readProducer();

function readProducer(): { name: string; version: string } {
  // src/export and dist/export are both two levels below the package root.
  const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    name: string;
    version: string;
  };
  return { name: packageJson.name, version: packageJson.version };
}

function validatePipeline(pipeline: FittedPipeline): void {
  const { preprocessor, forest } = pipeline;
  const columnTypes = new Map(preprocessor.inputColumns.map((column) => [column.name, column.type]));
  if (columnTypes.size !== preprocessor.inputColumns.length) {
    throw new OnnxExportError('inputColumns: column names must be unique');
  }
  for (const step of preprocessor.numeric) {
    const type = columnTypes.get(step.name);
    if (type === undefined || type === 'string') {
      throw new OnnxExportError(`numeric step '${step.name}': expected a long or double input column, got ${type}`);
    }
  }
  for (const step of preprocessor.categorical) {
    if (columnTypes.get(step.name) !== 'string') {
      throw new OnnxExportError(`categorical step '${step.name}': expected a string input column`);
    }
    if (new Set(step.levels).size !== step.levels.length) {
      throw new OnnxExportError(`categorical step '${step.name}': levels must be unique`);
    }
  }
  const featureCount =
    preprocessor.numeric.length + preprocessor.categorical.reduce((sum, step) => sum + step.levels.length, 0);
  if (featureCount !== preprocessor.featureNames.length || featureCount !== forest.nFeatures) {
    throw new OnnxExportError(
      `feature count mismatch: the steps make ${featureCount} features, featureNames lists ` +
        `${preprocessor.featureNames.length}, the forest expects ${forest.nFeatures}`,
    );
  }
  if (featureCount === 0) throw new OnnxExportError('the pipeline has no features');
  if (forest.trees.length === 0) throw new OnnxExportError('the forest has no trees');
  forest.trees.forEach((tree, treeIndex) => {
    const size = tree.feature.length;
    for (let node = 0; node < size; node++) {
      const feature = tree.feature[node] ?? -1;
      if (feature === -1) continue;
      const left = tree.left[node] ?? -1;
      const right = tree.right[node] ?? -1;
      if (feature < 0 || feature >= featureCount || left <= 0 || left >= size || right <= 0 || right >= size) {
        throw new OnnxExportError(
          `tree ${treeIndex}, node ${node}: feature ${feature} / children ${left}, ${right} out of range`,
        );
      }
    }
  });
}

/**
 * Text the graph treats as "no value" in a text column: `""`, `NA`, `NaN` and `nan` (what Python's ONNX Runtime
 * makes of a pandas NaN), compared exactly, as the reference preprocessor's `isMissingLevel` does. `None`, what
 * Python's ONNX Runtime makes of a JSON null, is not one: it is a real Ames level (`Mas_Vnr_Type`), so Python
 * clients must send missing text as `""`.
 */
export const TEXT_MISSING_MARKERS: readonly string[] = MISSING_MARKERS;

/** LabelEncoder attributes: known level → itself, missing marker → most frequent level, else → a sentinel. */
function missingToMostFrequent(step: CategoricalColumnStep): AttributeObject[] {
  const knownLevels = step.levels.filter((level) => !TEXT_MISSING_MARKERS.includes(level));
  let sentinel = '__unknown_level__';
  while (step.levels.includes(sentinel)) sentinel = `_${sentinel}_`;
  return [
    stringsAttribute('keys_strings', [...knownLevels, ...TEXT_MISSING_MARKERS]),
    stringsAttribute('values_strings', [...knownLevels, ...TEXT_MISSING_MARKERS.map(() => step.mostFrequent)]),
    stringAttribute('default_string', sentinel),
  ];
}

function treeEnsembleAttributes(trees: readonly RegressionTree[]): AttributeObject[] {
  const nodeCount = trees.reduce((sum, tree) => sum + tree.feature.length, 0);
  const leafCount = trees.reduce((sum, tree) => sum + tree.feature.filter((feature) => feature === -1).length, 0);
  // Typed arrays: a 100-tree forest has ~10^6 nodes, and every attribute below holds one value per node.
  const treeIds = new Int32Array(nodeCount);
  const nodeIds = new Int32Array(nodeCount);
  const featureIds = new Int32Array(nodeCount);
  const thresholds = new Float32Array(nodeCount);
  const modes: Uint8Array[] = new Array(nodeCount);
  const trueIds = new Int32Array(nodeCount);
  const falseIds = new Int32Array(nodeCount);
  const targetTreeIds = new Int32Array(leafCount);
  const targetNodeIds = new Int32Array(leafCount);
  const targetWeights = new Float32Array(leafCount);
  let index = 0;
  let leaf = 0;
  trees.forEach((tree, treeIndex) => {
    for (let node = 0; node < tree.feature.length; node++, index++) {
      const feature = tree.feature[node] ?? -1;
      treeIds[index] = treeIndex;
      nodeIds[index] = node;
      if (feature === -1) {
        modes[index] = LEAF_MODE;
        targetTreeIds[leaf] = treeIndex;
        targetNodeIds[leaf] = node;
        targetWeights[leaf] = tree.value[node] ?? 0;
        leaf++;
      } else {
        featureIds[index] = feature;
        thresholds[index] = tree.threshold[node] ?? 0;
        modes[index] = BRANCH_LEQ_MODE;
        trueIds[index] = tree.left[node] ?? 0;
        falseIds[index] = tree.right[node] ?? 0;
      }
    }
  });
  return [
    intAttribute('n_targets', 1),
    stringAttribute('aggregate_function', 'AVERAGE'),
    stringAttribute('post_transform', 'NONE'),
    intsAttribute('nodes_treeids', treeIds),
    intsAttribute('nodes_nodeids', nodeIds),
    intsAttribute('nodes_featureids', featureIds),
    floatsAttribute('nodes_values', thresholds),
    { name: 'nodes_modes', type: OnnxAttributeType.STRINGS, strings: modes },
    intsAttribute('nodes_truenodeids', trueIds),
    intsAttribute('nodes_falsenodeids', falseIds),
    intsAttribute('target_treeids', targetTreeIds),
    intsAttribute('target_nodeids', targetNodeIds),
    intsAttribute('target_ids', new Int32Array(leafCount)),
    floatsAttribute('target_weights', targetWeights),
  ];
}

/** Plain objects in the shape protobufjs `fromObject` accepts. */
type AttributeObject = Record<string, unknown>;

const utf8 = new TextEncoder();
// Shared by every node: one buffer per mode instead of one per node.
const LEAF_MODE = utf8.encode('LEAF');
const BRANCH_LEQ_MODE = utf8.encode('BRANCH_LEQ');

function intAttribute(name: string, value: number): AttributeObject {
  return { name, type: OnnxAttributeType.INT, i: value };
}
function floatAttribute(name: string, value: number): AttributeObject {
  return { name, type: OnnxAttributeType.FLOAT, f: value };
}
function stringAttribute(name: string, value: string): AttributeObject {
  return { name, type: OnnxAttributeType.STRING, s: utf8.encode(value) };
}
function intsAttribute(name: string, values: ArrayLike<number>): AttributeObject {
  return { name, type: OnnxAttributeType.INTS, ints: packVarints(values) };
}
function floatsAttribute(name: string, values: ArrayLike<number>): AttributeObject {
  return { name, type: OnnxAttributeType.FLOATS, floats: packFloats(values) };
}
function stringsAttribute(name: string, values: string[]): AttributeObject {
  return { name, type: OnnxAttributeType.STRINGS, strings: values.map((value) => utf8.encode(value)) };
}

/** Collects nodes, initializers and value infos, and keeps every value name unique. */
class GraphBuilder {
  readonly nodes: AttributeObject[] = [];
  readonly initializers: AttributeObject[] = [];
  readonly inputs: AttributeObject[] = [];
  readonly outputs: AttributeObject[] = [];
  readonly valueInfos: AttributeObject[] = [];
  private readonly usedNames = new Set<string>();
  private nodeCount = 0;

  /** Reserves an intermediate value name; raw column names are arbitrary, so a clash is an error, not a rename. */
  name(value: string): string {
    if (this.usedNames.has(value)) {
      throw new OnnxExportError(`value name '${value}' is used twice (does an input column have that name?)`);
    }
    this.usedNames.add(value);
    return value;
  }

  addInput(name: string, elemType: number, dims: (number | string)[]): void {
    this.inputs.push(valueInfo(this.name(name), elemType, dims));
  }

  addOutput(name: string, elemType: number, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(this.name(name), elemType, dims));
  }

  /** Declares the type and shape of an intermediate value (the name must already be reserved with {@link name}). */
  addValueInfo(name: string, elemType: number, dims: (number | string)[]): void {
    this.valueInfos.push(valueInfo(name, elemType, dims));
  }

  addInitializer(name: string, dataType: number, dims: number[], values: number[] | string[]): string {
    const tensor: AttributeObject = { name: this.name(name), data_type: dataType, dims };
    if (dataType === OnnxDataType.STRING) tensor.string_data = (values as string[]).map((value) => utf8.encode(value));
    else if (dataType === OnnxDataType.INT64) tensor.int64_data = values;
    else tensor.float_data = values;
    this.initializers.push(tensor);
    return name;
  }

  addNode(opType: string, inputs: string[], outputs: string[], attribute: AttributeObject[] = [], domain = ''): void {
    this.nodeCount++;
    this.nodes.push({
      name: `${opType}_${this.nodeCount}`,
      op_type: opType,
      domain,
      input: inputs,
      output: outputs,
      attribute,
    });
  }
}

function valueInfo(name: string, elemType: number, dims: (number | string)[]): AttributeObject {
  const shape = { dim: dims.map((dim) => (typeof dim === 'number' ? { dim_value: dim } : { dim_param: dim })) };
  return { name, type: { tensor_type: { elem_type: elemType, shape } } };
}
