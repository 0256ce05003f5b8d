import { baseServiceConfigSchema, type LoadedConfig, loadConfig, upstreamConfigSchema } from '@mlms/service-kit';
import { z } from 'zod';

const milliseconds = (description: string) => z.number().int().min(0).describe(`${description} (milliseconds).`);

/** Every setting of the orchestrator; the TypeScript type is derived from this schema, never written twice. */
export const orchestratorConfigSchema = z.strictObject({
  ...baseServiceConfigSchema.shape,
  modelServer: upstreamConfigSchema.describe('The model server: any server of MLflow scoring protocol.'),
  modelName: z.string().min(1).describe('Name of the model on the model server (V2 metadata).'),
  userAgent: z.string().min(1).describe('User-Agent sent to the model server.'),
  startupRetryFirstDelayMs: milliseconds('First wait between start-up attempts to reach the model server'),
  startupRetryMaxDelayMs: milliseconds('Longest wait between start-up attempts (the wait doubles up to it)'),
  readinessCacheMs: milliseconds("How long a readiness probe's view of the model server is reused"),
  maxBatchSize: z.number().int().min(1).max(10_000).describe('Most houses in one batch request.'),
  coalesceSingleRequests: z
    .boolean()
    .describe(
      'Single-house requests that arrive while a model call is in flight share the next call (one call at a time, ' +
        'up to maxBatchSize houses; a lone request is sent at once); false: one model call per request.',
    ),
  maxBodyBytes: z.number().int().min(1024).describe('Largest request body accepted (bytes); larger answers 413.'),
});

export type OrchestratorConfig = LoadedConfig<typeof orchestratorConfigSchema>;

/** Where the YAML sits next to this module, in src/ and (copied by the build) in dist/. */
export const DEFAULT_CONFIG_FILE = new URL('./config.yaml', import.meta.url);

/**
 * Loads the configuration of the environment named by `ENV` (default `local`).
 * `CONFIG_FILE` points at another YAML file, e.g. one mounted from a Kubernetes ConfigMap.
 */
export function loadOrchestratorConfig(
  variables: Record<string, string | undefined> = process.env,
): OrchestratorConfig {
  return loadConfig({
    file: variables.CONFIG_FILE ?? DEFAULT_CONFIG_FILE,
    schema: orchestratorConfigSchema,
    variables,
  });
}
