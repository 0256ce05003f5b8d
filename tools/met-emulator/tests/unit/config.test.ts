import { describe, expect, it } from 'vitest';
import { readCliConfig } from '../../src/config.js';

describe('readCliConfig', () => {
  it('defaults to 127.0.0.1:8090 with no faults', () => {
    // Given no flags and no environment
    // When the configuration is read
    const config = readCliConfig([], {});

    // Then the documented defaults apply
    expect(config).toEqual({ host: '127.0.0.1', port: 8090, faults: {}, seed: 1, logger: false });
  });

  it('reads the port from MET_EMULATOR_PORT, then PORT, and lets --port win', () => {
    // Given both env vars and a flag
    // When read with and without the flag
    // Then the precedence is --port > MET_EMULATOR_PORT > PORT
    expect(readCliConfig([], { PORT: '9000' }).port).toBe(9000);
    expect(readCliConfig([], { PORT: '9000', MET_EMULATOR_PORT: '9001' }).port).toBe(9001);
    expect(readCliConfig(['--port', '0'], { MET_EMULATOR_PORT: '9001' }).port).toBe(0);
  });

  it('merges MET_EMULATOR_FAULTS with --faults, the flag winning per route', () => {
    // Given faults from both sources
    const env = { MET_EMULATOR_FAULTS: '{"search":{"latencyMs":50},"object":{"status":503}}' };

    // When read with a flag that overrides search
    const config = readCliConfig(['--faults', '{"search":{"html403":true}}'], env);

    // Then the flag replaced search and kept object
    expect(config.faults).toEqual({ search: { html403: true }, object: { status: 503 } });
  });

  it('reads the Met quirk faults from MET_EMULATOR_FAULTS', () => {
    // Given
    const env = {
      MET_EMULATOR_FAULTS:
        '{"object":{"notValidObject":true,"objectIds":[436535]},"search":{"reorder":"byParamOrder"},' +
        '"objects":{"phantomIds":[999000001]}}',
    };

    // When
    const config = readCliConfig([], env);

    // Then
    expect(config.faults).toEqual({
      object: { notValidObject: true, objectIds: [436535] },
      search: { reorder: 'byParamOrder' },
      objects: { phantomIds: [999000001] },
    });
  });

  it.each([
    [['--port', 'eighty'], {}, /--port must be a port number/],
    [[], { MET_EMULATOR_FAULTS: '{not json' }, /MET_EMULATOR_FAULTS is not valid JSON/],
    [[], { MET_EMULATOR_FAULTS: '{"searches":{"latencyMs":5}}' }, /MET_EMULATOR_FAULTS is not a valid fault map/],
    [['--faults', '{"search":{"status":503,"reset":true}}'], {}, /only one of status, html403, malformedJson, reset/],
  ])('rejects %j %j with a message naming the problem', (argv, env, message) => {
    // Given a bad flag or variable
    // When the configuration is read
    // Then it throws a message that says what is wrong
    expect(() => readCliConfig(argv, env)).toThrow(message);
  });
});
