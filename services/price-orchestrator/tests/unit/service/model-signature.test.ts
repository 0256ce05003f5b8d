import { ConfigError, UnavailableError } from '@mlms/service-kit';
import { describe, expect, it, vi } from 'vitest';
import { type MlflowModelProvider, ModelNotServedError } from '../../../src/provider/mlflow-model-provider.js';
import {
  compareSignature,
  type ExpectedColumn,
  ModelSignatureGate,
  type SignatureGateOptions,
} from '../../../src/service/model-signature.js';
import type { V2ModelMetadata } from '../../../src/views/model-server.js';

const expected: ExpectedColumn[] = [
  { column: 'Lot_Area', kind: 'number' },
  { column: 'Year_Built', kind: 'number' },
  { column: 'Sale_Type', kind: 'category' },
];

function metadataOf(inputs: [string, string][], versions?: string[]): V2ModelMetadata {
  return {
    name: 'housing-price',
    ...(versions ? { versions } : {}),
    inputs: inputs.map(([name, datatype]) => ({ name, datatype, shape: [-1] })),
  };
}

const matching = metadataOf([
  ['Lot_Area', 'INT64'],
  ['Year_Built', 'INT64'],
  ['Sale_Type', 'BYTES'],
]);

describe('compareSignature', () => {
  it('finds no problem when the inputs are the columns sent, of fitting types', () => {
    // When / Then
    expect(compareSignature(expected, matching)).toEqual([]);
  });

  it('does not mind the order of the inputs', () => {
    // Given
    const reversed = { ...matching, inputs: [...matching.inputs].reverse() };

    // When / Then
    expect(compareSignature(expected, reversed)).toEqual([]);
  });

  it.each(['FP64', 'FP32', 'FP16', 'INT64', 'INT32', 'INT16', 'INT8', 'UINT64', 'UINT32', 'UINT16', 'UINT8'])(
    'accepts the numeric datatype %s for a number column',
    (datatype) => {
      // Given
      const metadata = metadataOf([
        ['Lot_Area', datatype],
        ['Year_Built', 'FP64'],
        ['Sale_Type', 'BYTES'],
      ]);

      // When / Then
      expect(compareSignature(expected, metadata)).toEqual([]);
    },
  );

  it('lists the columns the model has no input for', () => {
    // Given
    const metadata = metadataOf([['Sale_Type', 'BYTES']]);

    // When / Then
    expect(compareSignature(expected, metadata)).toEqual(['columns the model has no input for: Lot_Area, Year_Built']);
  });

  it('lists the model inputs this service does not send', () => {
    // Given
    const metadata = metadataOf([
      ...matching.inputs.map((input) => [input.name, input.datatype] as [string, string]),
      ['Pool_QC', 'BYTES'],
      ['Misc_Val', 'FP64'],
    ]);

    // When / Then
    expect(compareSignature(expected, metadata)).toEqual([
      'model inputs this service does not send: Pool_QC, Misc_Val',
    ]);
  });

  it.each([
    ['a number column held as text', 'Lot_Area', 'BYTES', 'Lot_Area (sent as a number, model input BYTES)'],
    ['a number column of booleans', 'Year_Built', 'BOOL', 'Year_Built (sent as a number, model input BOOL)'],
    ['a category held as a number', 'Sale_Type', 'FP64', 'Sale_Type (sent as text, model input FP64)'],
  ])('lists %s as a column of another type', (_case, column, datatype, problem) => {
    // Given
    const metadata = metadataOf(
      matching.inputs.map((input) => [input.name, input.name === column ? datatype : input.datatype]),
    );

    // When / Then
    expect(compareSignature(expected, metadata)).toEqual([`columns of another type: ${problem}`]);
  });

  it('lists every kind of problem at once, in one line per kind', () => {
    // Given
    const metadata = metadataOf([
      ['Lot_Area', 'BYTES'],
      ['Sale_Type', 'INT64'],
      ['Lot_Size', 'FP64'],
    ]);

    // When / Then
    expect(compareSignature(expected, metadata)).toEqual([
      'columns the model has no input for: Year_Built',
      'model inputs this service does not send: Lot_Size',
      'columns of another type: Lot_Area (sent as a number, model input BYTES), Sale_Type (sent as text, model input INT64)',
    ]);
  });
});

/** A provider whose `metadata` answers what each test scripts, call by call. */
function stubProvider(metadata: () => Promise<V2ModelMetadata | null>) {
  const calls = { count: 0 };
  const provider = {
    async metadata() {
      calls.count++;
      return metadata();
    },
  };
  return { provider: provider as unknown as MlflowModelProvider, calls };
}

function gateWith(metadata: () => Promise<V2ModelMetadata | null>, options: Partial<SignatureGateOptions> = {}) {
  const logged = { info: [] as string[], warn: [] as string[] };
  const stub = stubProvider(metadata);
  const gate = new ModelSignatureGate(stub.provider, expected, {
    modelName: 'housing-price',
    firstDelayMs: 1,
    maxDelayMs: 8,
    log: { info: (message) => logged.info.push(message), warn: (message) => logged.warn.push(message) },
    ...options,
  });
  return { gate, logged, calls: stub.calls };
}

const refused = () => new UnavailableError('Model server is unavailable: it refused the connection.');

/** Fails the first `failures` calls, then answers `metadata`. */
function failingTimes(failures: number, metadata: V2ModelMetadata | null = matching) {
  let call = 0;
  return async () => {
    call++;
    if (call <= failures) throw refused();
    return metadata;
  };
}

describe('ModelSignatureGate.waitAndCheck', () => {
  it('passes at once when the model matches, recording its first version', async () => {
    // Given
    const { gate, logged, calls } = gateWith(async () =>
      metadataOf(
        matching.inputs.map((i) => [i.name, i.datatype]),
        ['4', '3'],
      ),
    );

    // When
    await gate.waitAndCheck();

    // Then
    expect(calls.count).toBe(1);
    expect(gate.modelVersion).toBe('4');
    expect(logged.info).toEqual(["model 'housing-price' version 4 matches this service's fields"]);
    expect(logged.warn).toEqual([]);
    await expect(gate.readiness()).resolves.toBeUndefined();
  });

  it('stops with a ConfigError when the V2 server serves no model of the configured name', async () => {
    // Given
    const { gate, calls } = gateWith(async () => {
      throw new ModelNotServedError('housing-price', "Model 'housing-price' is not served here.");
    });

    // When
    const error = await gate.waitAndCheck().catch((caught: unknown) => caught);

    // Then
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(
      /^the model server serves no model named 'housing-price' .*; check modelName$/,
    );
    expect(calls.count).toBe(1);
  });

  it('passes a matching model without versions, leaving the version unknown', async () => {
    // Given
    const { gate, logged } = gateWith(async () => matching);

    // When
    await gate.waitAndCheck();

    // Then
    expect(gate.modelVersion).toBeUndefined();
    expect(logged.info).toEqual(["model 'housing-price' version (unversioned) matches this service's fields"]);
  });

  it('retries with a back-off that doubles up to the longest delay', async () => {
    // Given
    const { gate, logged, calls } = gateWith(failingTimes(6), { firstDelayMs: 1, maxDelayMs: 8 });

    // When
    await gate.waitAndCheck();

    // Then
    expect(calls.count).toBe(7);
    expect(logged.warn.map((message) => /next attempt in (\d+) ms/.exec(message)?.[1])).toEqual([
      '1',
      '2',
      '4',
      '8',
      '8',
      '8',
    ]);
    expect(logged.warn[0]).toBe(
      'waiting for the model server: Model server is unavailable: it refused the connection. (next attempt in 1 ms)',
    );
  });

  it('really waits between attempts', async () => {
    // Given: waits of 20, 40 and 40 ms before the fourth attempt
    const { gate, calls } = gateWith(failingTimes(3), { firstDelayMs: 20, maxDelayMs: 40 });
    const started = performance.now();

    // When
    await gate.waitAndCheck();

    // Then
    expect(calls.count).toBe(4);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
  });

  it('is not ready before and while waiting, saying why, and ready once the model matches', async () => {
    // Given: the model server refuses once, then takes its time to answer
    let answer: (metadata: V2ModelMetadata) => void = () => {};
    let call = 0;
    const { gate, calls } = gateWith(async () => {
      call++;
      if (call === 1) throw refused();
      return new Promise<V2ModelMetadata>((resolve) => {
        answer = resolve;
      });
    });

    // When
    const before = await gate.readiness().catch((error: Error) => error.message);
    const done = gate.waitAndCheck();
    await vi.waitFor(() => expect(calls.count).toBe(2));
    const waiting = await gate.readiness().catch((error: Error) => error.message);
    answer(matching);
    await done;

    // Then
    expect(before).toBe('the model server has not been reached yet');
    expect(waiting).toBe('waiting for the model server: Model server is unavailable: it refused the connection.');
    await expect(gate.readiness()).resolves.toBeUndefined();
  });

  it('throws a ConfigError listing the differing columns when the model has other inputs', async () => {
    // Given
    const { gate } = gateWith(async () =>
      metadataOf([
        ['Lot_Size', 'INT64'],
        ['Year_Built', 'INT64'],
        ['Sale_Type', 'BYTES'],
      ]),
    );

    // When
    const error = await gate.waitAndCheck().catch((caught: unknown) => caught);

    // Then
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(
      "the model 'housing-price' on the model server does not match this service's fields: columns the model has " +
        'no input for: Lot_Area; model inputs this service does not send: Lot_Size',
    );
    await expect(gate.readiness()).rejects.toThrow();
  });

  it('passes with a warning when the model server has no V2 metadata', async () => {
    // Given
    const { gate, logged } = gateWith(async () => null);

    // When
    await gate.waitAndCheck();

    // Then
    expect(logged.warn).toEqual([
      "the model server has no V2 metadata for 'housing-price'; the signature cannot be checked",
    ]);
    expect(gate.modelVersion).toBeUndefined();
    await expect(gate.readiness()).resolves.toBeUndefined();
  });

  it('stops waiting when its signal aborts', async () => {
    // Given: a model server that never comes, and a long wait between attempts
    const { gate, calls } = gateWith(
      async () => {
        throw refused();
      },
      { firstDelayMs: 60_000, maxDelayMs: 60_000 },
    );
    const controller = new AbortController();

    // When
    const done = gate.waitAndCheck(controller.signal).catch((caught: unknown) => caught);
    await vi.waitFor(() => expect(calls.count).toBe(1));
    controller.abort();
    const error = await done;

    // Then
    expect(error).toMatchObject({ name: 'AbortError' });
    expect(calls.count).toBe(1);
    await expect(gate.readiness()).rejects.toThrow(/waiting for the model server/);
  });
});
