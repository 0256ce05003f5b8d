import { type Closeable, ServiceResources } from '@mlms/service-kit';
import { describe, expect, it, vi } from 'vitest';
import { createTestApp } from './support/test-app.js';

/** A resource that records, in a shared list, when it is closed; `fails` makes its close reject. */
function recordingResource(name: string, closed: string[], options: { fails?: boolean } = {}): Closeable {
  return {
    async close() {
      if (options.fails) throw new Error(`${name} did not close`);
      closed.push(name);
    },
  };
}

function recordingLogger() {
  return { error: vi.fn<(fields: Record<string, unknown>, message: string) => void>() };
}

describe('ServiceResources', () => {
  it('given resources registered one after another, when closing all, then the last registered closes first', async () => {
    // Given
    const closed: string[] = [];
    const resources = new ServiceResources();
    resources.closeOnShutdown(recordingResource('pool', closed));
    resources.closeOnShutdown(recordingResource('cache', closed));
    resources.closeOnShutdown(recordingResource('model', closed));
    const log = recordingLogger();

    // When
    await resources.closeAll(log);

    // Then
    expect(closed).toEqual(['model', 'cache', 'pool']);
    expect(log.error).not.toHaveBeenCalled();
  });

  it('given a resource, when registering it, then the same resource is returned', () => {
    // Given
    const resource = recordingResource('pool', []);

    // When
    const registered = new ServiceResources().closeOnShutdown(resource);

    // Then
    expect(registered).toBe(resource);
  });

  it('given one close fails, when closing all, then it is logged with its name and the others still close', async () => {
    // Given
    const closed: string[] = [];
    const resources = new ServiceResources();
    resources.closeOnShutdown(recordingResource('pool', closed));
    resources.closeOnShutdown(recordingResource('cache', closed, { fails: true }), 'cache');
    resources.closeOnShutdown(recordingResource('model', closed));
    const log = recordingLogger();

    // When
    await resources.closeAll(log);

    // Then
    expect(closed).toEqual(['model', 'pool']);
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(log.error).toHaveBeenCalledWith(
      { err: expect.objectContaining({ message: 'cache did not close' }), resource: 'cache' },
      'could not close resource',
    );
  });

  it('given a close that throws synchronously, when closing all, then it is logged and closing goes on', async () => {
    // Given
    const closed: string[] = [];
    const resources = new ServiceResources();
    resources.closeOnShutdown(recordingResource('pool', closed));
    resources.closeOnShutdown({
      close() {
        throw new Error('sync failure');
      },
    });
    const log = recordingLogger();

    // When
    await resources.closeAll(log);

    // Then
    expect(closed).toEqual(['pool']);
    expect(log.error).toHaveBeenCalledWith({ err: expect.any(Error), resource: 'Object' }, 'could not close resource');
  });

  it('given no name, when a close fails, then the log names it by its name property, else by its class', async () => {
    // Given
    class ModelSession implements Closeable {
      async close(): Promise<void> {
        throw new Error('busy');
      }
    }
    const named = { name: 'Met Collection API', close: ModelSession.prototype.close };
    const resources = new ServiceResources();
    resources.closeOnShutdown(new ModelSession());
    resources.closeOnShutdown(named);
    const log = recordingLogger();

    // When
    await resources.closeAll(log);

    // Then
    expect(log.error.mock.calls.map(([fields]) => fields.resource)).toEqual(['Met Collection API', 'ModelSession']);
  });

  it('given resources already closed, when closing all again, then each resource is closed only once', async () => {
    // Given
    const closed: string[] = [];
    const resources = new ServiceResources();
    resources.closeOnShutdown(recordingResource('pool', closed));
    await resources.closeAll(recordingLogger());

    // When
    await resources.closeAll(recordingLogger());

    // Then
    expect(closed).toEqual(['pool']);
  });
});

describe('createServiceApp with resources', () => {
  it('given resources registered before and after the app, when the app closes, then all close in reverse order', async () => {
    // Given
    const closed: string[] = [];
    const resources = new ServiceResources();
    resources.closeOnShutdown(recordingResource('before the app', closed));
    const app = await createTestApp({ resources });
    resources.closeOnShutdown(recordingResource('after the app', closed));

    // When
    await app.close();

    // Then
    expect(closed).toEqual(['after the app', 'before the app']);
  });

  it('given a resource whose close fails, when the app closes, then the app logs it and still closes', async () => {
    // Given
    const closed: string[] = [];
    const resources = new ServiceResources();
    resources.closeOnShutdown(recordingResource('pool', closed));
    resources.closeOnShutdown(recordingResource('broken', closed, { fails: true }), 'broken');
    const app = await createTestApp({ resources });
    const error = vi.spyOn(app.log, 'error');

    // When
    await app.close();

    // Then
    expect(closed).toEqual(['pool']);
    expect(error).toHaveBeenCalledWith({ err: expect.any(Error), resource: 'broken' }, 'could not close resource');
  });
});
