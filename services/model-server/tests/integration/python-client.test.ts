import { execFile, execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RawRow } from '@mlms/housing-price-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeTo, type TrainedModel, trainSmallModel } from '../../../../test-support/trained-model.js';
import { type RunningServer, startServer } from '../support/server.js';

/** Debian's Python (not a pyenv shim), where scripts/system-deps.sh installs python3-pandas and python3-requests. */
const SYSTEM_PYTHON = '/usr/bin/python3';
const CLIENT = fileURLToPath(new URL('./python/dataframe_client.py', import.meta.url));

function pythonHasPandas(): boolean {
  try {
    execFileSync(SYSTEM_PYTHON, ['-c', 'import pandas, requests'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const AVAILABLE = pythonHasPandas();
const SKIP_REASON = AVAILABLE ? '' : ' (skipped: /usr/bin/python3 lacks pandas/requests; run scripts/system-deps.sh)';

interface ClientReply {
  status: number;
  body: { predictions?: number[]; error_code?: string; message?: string };
  version: string | null;
}

describe.skipIf(!AVAILABLE)(`a pandas + requests client${SKIP_REASON}`, () => {
  let model: TrainedModel;
  let server: RunningServer;

  beforeAll(async () => {
    model = await trainSmallModel();
    server = await startServer({ modelUri: model.modelDir });
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await model?.remove();
  });

  it('gets the in-process predictions through dataframe_split (json.dumps NaN tokens, to_json nulls), records and CSV', async () => {
    // Given: validation rows with missing numbers (NaN in pandas) and missing text ("" after fillna)
    const numeric = model.pipeline.preprocessor.inputColumns.filter((column) => column.type !== 'string');
    const sample: RawRow[] = model.validationRows
      .slice(0, 12)
      .map((row, index) =>
        index % 3 === 0 ? { ...row, [numeric[index % numeric.length]?.name as string]: null } : row,
      );
    const example = {
      columns: model.columns,
      data: sample.map((row) => model.columns.map((column) => row[column] ?? null)),
    };
    const examplePath = join(model.modelDir, '..', 'client-example.json');
    await writeFile(examplePath, JSON.stringify(example));

    // When
    const { stdout } = await promisify(execFile)(SYSTEM_PYTHON, [CLIENT, server.url, examplePath], {
      maxBuffer: 16 * 1024 * 1024,
    });
    const results = JSON.parse(stdout) as Record<string, ClientReply> & { nan_count: number; nan_token_sent: boolean };

    // Then
    const expected = model.expected(sample);
    expect(results.nan_count).toBeGreaterThan(0);
    expect(results.nan_token_sent).toBe(true);
    expect((results.fully_filled_requests_json as ClientReply).status).toBe(200);
    for (const name of ['split_json_dumps', 'split_to_json', 'records', 'csv']) {
      const reply = results[name] as ClientReply;
      expect({ name, status: reply.status, message: reply.body.message }).toEqual({
        name,
        status: 200,
        message: undefined,
      });
      expect({ name, close: closeTo(reply.body.predictions ?? [], expected) }).toEqual({ name, close: true });
      expect(reply.version).toMatch(/^[0-9a-f]{32}$/);
    }
  });
});
