import { baseServiceConfigSchema, type LoadedConfig, loadConfig, upstreamConfigSchema } from '@mlms/service-kit';
import { z } from 'zod';

const milliseconds = (description: string) => z.number().int().min(0).describe(`${description} (milliseconds).`);

/** Every setting of art-search; the TypeScript type is derived from this schema, never written twice. */
export const artSearchConfigSchema = z.strictObject({
  ...baseServiceConfigSchema.shape,
  met: upstreamConfigSchema
    .extend({
      maxRequestsPerSecond: z.number().min(0).describe('Client-side request budget for the Met API (0 = unlimited).'),
      refusalCooldownMs: milliseconds('Pause after the Met answers with its bot-protection page'),
    })
    .describe('The Met Collection API (or its emulator): its origin, timeouts, retries, pool and request budget.'),
  userAgent: z.string().min(1).describe('User-Agent sent to the Met: say who you are.'),
  cacheEnabled: z.boolean().describe('Cache Met responses in memory.'),
  cacheMaxEntries: z.number().int().min(1).describe('Most Met responses kept in the cache.'),
  cacheObjectTtlSeconds: z.number().int().min(0).describe('How long object records and departments are cached.'),
  cacheSearchTtlSeconds: z.number().int().min(0).describe('How long search results are cached.'),
  cacheNotFoundTtlSeconds: z
    .number()
    .int()
    .min(0)
    .describe('How long the Met\'s own "ObjectID not found" is cached (no other 404 is).'),
  cacheMaxStaleSeconds: z
    .number()
    .int()
    .min(0)
    .describe('How long past its TTL a cached answer may still be served while the Met fails (0 = never).'),
  searchMaxCandidates: z.number().int().min(1).max(20).describe('Top search hits inspected for one with an image.'),
  searchConcurrency: z.number().int().min(1).max(10).describe('Object records fetched at once per search.'),
  readinessCacheMs: milliseconds('How long a readiness check result is reused'),
});

export type ArtSearchConfig = LoadedConfig<typeof artSearchConfigSchema>;

/** Where the YAML sits next to this module, in src/ and (copied by the build) in dist/. */
export const DEFAULT_CONFIG_FILE = new URL('./config.yaml', import.meta.url);

/**
 * Loads the configuration of the environment named by `ENV` (default `local`).
 * `CONFIG_FILE` points at another YAML file, e.g. one mounted from a Kubernetes ConfigMap.
 */
export function loadArtSearchConfig(variables: Record<string, string | undefined> = process.env): ArtSearchConfig {
  return loadConfig({
    file: variables.CONFIG_FILE ?? DEFAULT_CONFIG_FILE,
    schema: artSearchConfigSchema,
    variables,
  });
}
