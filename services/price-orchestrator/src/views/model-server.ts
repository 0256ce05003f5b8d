import { z } from 'zod';

/**
 * The model server's wire formats, as MLflow's scoring server and the Open Inference Protocol define them. These
 * mirror someone else's JSON; our own API's shapes are in `api.ts`.
 */

/** A `dataframe_split` request body: column names and rows of values, in column order. */
export interface DataframeSplitRequest {
  dataframe_split: { columns: readonly string[]; data: readonly (readonly (number | string | null)[])[] };
}

/**
 * `{"predictions": [...]}`: a flat list for a single-output model (our model server, MLflow's scikit-learn models),
 * or one record per row (MLflow's own ONNX flavour answers `[{"variable": 181234.5}, …]`); both are accepted.
 */
export const predictionsResponseSchema = z.object({
  predictions: z.array(z.union([z.number(), z.record(z.string(), z.unknown())])),
});
export type PredictionsResponse = z.infer<typeof predictionsResponseSchema>;

/** MLflow's error body (4xx from `/invocations`). */
export const mlflowErrorSchema = z.object({ error_code: z.string().optional(), message: z.string() });

/** V2 model metadata (`GET /v2/models/{name}`): what the signature check compares against. */
export const v2ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).optional(),
  platform: z.string().optional(),
  inputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()) })),
  outputs: z.array(z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()) })).optional(),
});
export type V2ModelMetadata = z.infer<typeof v2ModelMetadataSchema>;

/** A V2 error body (`{"error": "..."}`), e.g. a 404 for a model name the server does not serve. */
export const v2ErrorSchema = z.object({ error: z.string() });
