import { z } from 'zod';

/** Schemas of MLflow's scoring protocol, for the OpenAPI document (bodies are decoded by `mlflow-request.ts`). */
export const mlflowErrorSchema = z
  .object({
    error_code: z.string().describe('`BAD_REQUEST`, `INVALID_PARAMETER_VALUE`, … (MLflow error codes).'),
    message: z.string().describe('What was wrong and what is allowed.'),
  })
  .meta({ id: 'MlflowError' });

export const predictionsSchema = z
  .object({
    predictions: z
      .array(z.unknown())
      .describe('One value per row for a single-output model; one record per row keyed by output name otherwise.'),
  })
  .meta({ id: 'Predictions', example: { predictions: [208500.25, 181500] } });

const cell = z.union([z.number(), z.string(), z.boolean(), z.null()]);

/** The `/invocations` JSON body: exactly one input format. The example is the model's own serving example. */
export function invocationsBodySchema(example: Record<string, unknown> | null) {
  const schema = z
    .object({
      dataframe_split: z
        .object({
          columns: z.array(z.string()),
          data: z.array(z.array(cell)),
          index: z.array(z.union([z.number(), z.string()])).optional(),
        })
        .optional()
        .describe('pandas "split" orient: column names and rows of values.'),
      dataframe_records: z.array(z.record(z.string(), cell)).optional().describe('One object per row.'),
      instances: z.array(z.unknown()).optional().describe('Rows: objects, or lists of values in signature order.'),
      inputs: z
        .union([z.record(z.string(), z.array(cell)), z.array(z.unknown())])
        .optional()
        .describe('An object of columns, or rows as for `instances`.'),
      params: z.record(z.string(), z.unknown()).optional().describe('Accepted and ignored (ONNX takes no parameters).'),
    })
    .describe('Exactly one of `dataframe_split`, `dataframe_records`, `instances`, `inputs`.');
  return example ? schema.meta({ example }) : schema;
}
