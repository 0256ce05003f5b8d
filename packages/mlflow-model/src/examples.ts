import { z } from 'zod';

/** A cell of an input example: JSON has numbers, text and null (a missing value). */
export type ExampleCell = number | string | boolean | null;

/** A DataFrame in pandas "split" orient without the index, as MLflow writes `input_example.json`. */
export const splitFrameSchema = z.object({
  columns: z.array(z.string()),
  data: z.array(z.array(z.union([z.number(), z.string(), z.boolean(), z.null()]))),
});
export type SplitFrame = z.infer<typeof splitFrameSchema>;

/** The request body `mlflow models serve` accepts for a DataFrame example (`serving_input_example.json`). */
export function servingInputExampleText(example: SplitFrame): string {
  return `${JSON.stringify({ dataframe_split: example }, null, 2)}\n`;
}
