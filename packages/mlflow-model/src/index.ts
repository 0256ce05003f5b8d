export { type CsvRecord, CsvSyntaxError, parseCsv } from './csv.js';
export { type ExampleCell, type SplitFrame, servingInputExampleText, splitFrameSchema } from './examples.js';
export {
  condaYaml,
  formatOnnxMlmodel,
  MLFLOW_PYTHON_VERSION,
  MLFLOW_VERSION,
  MLMODEL_FILES,
  type MlmodelDocument,
  mlflowTimestamp,
  mlmodelDocumentSchema,
  ONNXRUNTIME_PYTHON_VERSION,
  type OnnxMlmodelFields,
  onnxFlavorSchema,
  onnxPipRequirements,
  pythonEnvYaml,
} from './mlmodel.js';
export { pythonJsonDumps } from './python-json.js';
export { MlflowModelError, type OnnxMlflowModel, readOnnxMlflowModel } from './read.js';
export {
  type ColumnSpec,
  columnSpecSchema,
  formatSignatureColumns,
  MLFLOW_COLUMN_TYPES,
  type MlflowColumnType,
  type ModelSignature,
  type NamedColumnSpec,
  namedInputColumns,
  parseSignatureColumns,
  SignatureError,
} from './signature.js';
export { type WriteOnnxModelOptions, type WrittenModel, writeOnnxModelDirectory } from './write.js';
