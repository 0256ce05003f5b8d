import { describe, expect, it } from 'vitest';
import {
  checkDistinctPorts,
  dependentsOf,
  parseStackArgs,
  type ServiceStep,
  StackUsageError,
  selectSteps,
  serviceNames,
  stackSteps,
  usage,
} from '../../lib/stack-plan.js';

const names = (steps: readonly { name: string }[]) => steps.map((step) => step.name);
const service = (steps: ReturnType<typeof stackSteps>, name: string) =>
  steps.find((step): step is ServiceStep => step.kind === 'service' && step.name === name) as ServiceStep;

describe('stackSteps', () => {
  it('lists every step after what it needs, on the documented default ports', () => {
    // When
    const steps = stackSteps({});

    // Then
    expect(names(steps)).toEqual(['met-emulator', 'art-search', 'model', 'model-server', 'price-orchestrator']);
    for (const [index, step] of steps.entries()) {
      for (const need of step.needs) expect(names(steps.slice(0, index))).toContain(need);
    }
    expect(steps.flatMap((step) => (step.kind === 'service' ? [step.port] : []))).toEqual([8090, 8000, 8080, 8001]);
  });

  it('points each service at the ports of what it needs and sets the drain to 0', () => {
    // When
    const steps = stackSteps({
      MET_EMULATOR_PORT: '9190',
      ART_SEARCH_PORT: '9100',
      MODEL_SERVER_PORT: '9180',
      PRICE_ORCHESTRATOR_PORT: '9101',
    });

    // Then
    expect(service(steps, 'met-emulator').env).toMatchObject({ MET_EMULATOR_PORT: '9190', SHUTDOWN_DRAIN_MS: '0' });
    expect(service(steps, 'art-search').env).toMatchObject({
      ENV: 'local',
      PORT: '9100',
      MET_API_URL: 'http://127.0.0.1:9190',
      SHUTDOWN_DRAIN_MS: '0',
    });
    expect(service(steps, 'model-server').env).toMatchObject({ ENV: 'local', PORT: '9180', SHUTDOWN_DRAIN_MS: '0' });
    expect(service(steps, 'price-orchestrator').env).toMatchObject({
      PORT: '9101',
      MODEL_SERVER_URL: 'http://127.0.0.1:9180',
      SHUTDOWN_DRAIN_MS: '0',
    });
  });

  it('takes the model directory from MODEL_URI when it is set, else leaves it to the default model', () => {
    expect(stackSteps({ MODEL_URI: '/models/mine' }).find((step) => step.kind === 'model')).toMatchObject({
      modelUri: '/models/mine',
    });
    expect(stackSteps({ MODEL_URI: '' }).find((step) => step.kind === 'model')).not.toHaveProperty('modelUri');
  });

  it.each(['0', '65536', 'eighty', '80.5', '-1'])('refuses %j as a port, naming the variable', (text) => {
    expect(() => stackSteps({ ART_SEARCH_PORT: text })).toThrow(
      new StackUsageError(`ART_SEARCH_PORT must be a port number from 1 to 65535 (got "${text}").`),
    );
  });
});

describe('selectSteps', () => {
  const steps = stackSteps({});
  const selectable = serviceNames(steps);

  it('selects everything when no name is given', () => {
    expect(names(selectSteps(steps, [], selectable))).toEqual(names(steps));
  });

  it('adds what a service needs, transitively, in start order', () => {
    expect(names(selectSteps(steps, ['art-search'], selectable))).toEqual(['met-emulator', 'art-search']);
    expect(names(selectSteps(steps, ['price-orchestrator'], selectable))).toEqual([
      'model',
      'model-server',
      'price-orchestrator',
    ]);
  });

  it('merges several names without repeating a step', () => {
    expect(names(selectSteps(steps, ['price-orchestrator', 'model-server', 'met-emulator'], selectable))).toEqual([
      'met-emulator',
      'model',
      'model-server',
      'price-orchestrator',
    ]);
  });

  it('refuses unknown names, and the model, which is not a service', () => {
    expect(() => selectSteps(steps, ['art-serch', 'model'], selectable)).toThrow(
      new StackUsageError('Unknown services: art-serch, model.'),
    );
  });
});

describe('dependentsOf', () => {
  it('names the selected steps that need a step directly', () => {
    const steps = stackSteps({});
    expect(names(dependentsOf(steps, 'model'))).toEqual(['model-server']);
    expect(names(dependentsOf(steps, 'met-emulator'))).toEqual(['art-search']);
    expect(names(dependentsOf(steps, 'price-orchestrator'))).toEqual([]);
  });
});

describe('checkDistinctPorts', () => {
  it('names the two variables that give services the same port', () => {
    const steps = stackSteps({ ART_SEARCH_PORT: '9000', PRICE_ORCHESTRATOR_PORT: '9000' });
    expect(() => checkDistinctPorts(steps)).toThrow(
      new StackUsageError('ART_SEARCH_PORT and PRICE_ORCHESTRATOR_PORT are both 9000; give each service its own port.'),
    );
  });

  it('ignores a clash between services that are not selected together', () => {
    const steps = stackSteps({ ART_SEARCH_PORT: '9000', PRICE_ORCHESTRATOR_PORT: '9000' });
    expect(() => checkDistinctPorts(selectSteps(steps, ['art-search']))).not.toThrow();
  });
});

describe('parseStackArgs and usage', () => {
  it('reads --watch, --help and the service names', () => {
    expect(parseStackArgs(['--watch', 'art-search', 'model-server'])).toEqual({
      help: false,
      watch: true,
      names: ['art-search', 'model-server'],
    });
    expect(parseStackArgs(['-h'])).toMatchObject({ help: true });
  });

  it('refuses an unknown flag as a usage error', () => {
    expect(() => parseStackArgs(['--verbose'])).toThrow(StackUsageError);
  });

  it('lists every service name and every port variable with its default', () => {
    const text = usage(stackSteps({}));
    expect(text).toContain('Services: met-emulator, art-search, model-server, price-orchestrator');
    for (const line of ['MET_EMULATOR_PORT', 'ART_SEARCH_PORT', 'MODEL_SERVER_PORT', 'PRICE_ORCHESTRATOR_PORT']) {
      expect(text).toMatch(new RegExp(`${line} +\\S+ \\(default \\d+\\)`));
    }
  });
});
