import { baseServiceConfigSchema, type LoadedConfig, loadConfig } from '@mlms/service-kit';
import { z } from 'zod';

/** Every setting of the model server; the TypeScript type is derived from this schema, never written twice. */
export const modelServerConfigSchema = z.strictObject({
  ...baseServiceConfigSchema.shape,
  modelUri: z.string().min(1).describe('Local MLflow model directory to serve (MLmodel with an onnx flavor).'),
  modelName: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'letters, digits, ".", "_" and "-", starting with a letter or digit')
    .describe('Name of the model in the V2 API (/v2/models/{name}) and in metrics.'),
  modelVersion: z.string().describe("Version reported for the model; empty means the MLmodel's run_id."),
  sessionThreads: z.number().int().min(0).max(64).describe('ONNX Runtime intra-op threads (0 = one per core).'),
  batchingEnabled: z.boolean().describe('Score requests that queue behind a running batch together.'),
  batchMaxRows: z.number().int().min(1).max(1_000_000).describe('Most rows scored in one ONNX Runtime run.'),
  maxBodyBytes: z.number().int().min(1024).describe('Largest request body accepted (bytes); larger answers 413.'),
  payloadLogEnabled: z.boolean().describe('Log the inputs and outputs of every prediction as JSON lines.'),
  payloadLogFile: z.string().min(1).describe('File the payload log appends to.'),
});

export type ModelServerConfig = LoadedConfig<typeof modelServerConfigSchema>;

/** Where the YAML sits next to this module, in src/ and (copied by the build) in dist/. */
export const DEFAULT_CONFIG_FILE = new URL('./config.yaml', import.meta.url);

/**
 * Loads the configuration of the environment named by `ENV` (default `local`).
 * `CONFIG_FILE` points at another YAML file, e.g. one mounted from a Kubernetes ConfigMap.
 */
export function loadModelServerConfig(variables: Record<string, string | undefined> = process.env): ModelServerConfig {
  return loadConfig({ file: variables.CONFIG_FILE ?? DEFAULT_CONFIG_FILE, schema: modelServerConfigSchema, variables });
}
