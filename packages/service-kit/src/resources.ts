/** Anything a service must release when it stops: a connection pool, a file, a worker, a loaded model. */
export interface Closeable {
  close(): Promise<unknown> | unknown;
}

/** Where a failed close is reported (the app's logger, or any pino logger). */
export interface CloseLogger {
  error(fields: Record<string, unknown>, message: string): void;
}

interface Registration {
  name: string;
  resource: Closeable;
}

/**
 * The resources a service closes when it stops, each registered on the line that creates it, so nothing needs a
 * separate `onClose` hook that can be forgotten. Hand the list to `createServiceApp`, which closes it when the app
 * closes (on SIGTERM/SIGINT under `runService`, or `app.close()` in a test). Resources created before the app and
 * after it go in the same list:
 *
 * ```ts
 * const resources = new ServiceResources();
 * const upstream = resources.closeOnShutdown(new UpstreamClient({ ... })); // before the app exists
 * const app = await createServiceApp({ name, config, openApi, resources });
 * const model = resources.closeOnShutdown(await loadModel(file), 'model'); // after it: closed first
 * ```
 *
 * They close one at a time, the last registered first, as later resources may use earlier ones. A close that
 * fails is logged and the others still close; shutting down never fails because of one of them.
 */
export class ServiceResources {
  private readonly registrations: Registration[] = [];

  /**
   * Registers a resource to close on shutdown and returns it, so registering wraps the creation.
   *
   * @param name Names the resource in the log line if its close fails; defaults to its `name` property, if it
   *   has a string one, else its class name.
   */
  closeOnShutdown<Resource extends Closeable>(resource: Resource, name: string = nameOf(resource)): Resource {
    this.registrations.push({ name, resource });
    return resource;
  }

  /**
   * Closes every registered resource, the last registered first, and forgets them (a second call closes only
   * what was registered since). Never rejects: a failed close is logged with the resource's name.
   */
  async closeAll(log: CloseLogger): Promise<void> {
    for (const { name, resource } of this.registrations.splice(0).reverse()) {
      try {
        await resource.close();
      } catch (error) {
        log.error({ err: error, resource: name }, 'could not close resource');
      }
    }
  }
}

function nameOf(resource: Closeable): string {
  const name = (resource as { name?: unknown }).name;
  return typeof name === 'string' && name !== '' ? name : resource.constructor.name;
}
