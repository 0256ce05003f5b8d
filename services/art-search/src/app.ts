import {
  createServiceApp,
  createServiceMetrics,
  healthPlugin,
  packageVersion,
  type ServiceApp,
  type ServiceMetrics,
  ServiceResources,
  UpstreamClient,
} from '@mlms/service-kit';
import type { Dispatcher } from 'undici';
import type { ArtSearchConfig } from './config/settings.js';
import { registerArtSearchRoutes } from './http/routes.js';
import { registerMcpRoutes } from './mcp/http.js';
import { createArtSearchMcpServer } from './mcp/server.js';
import { ImageProvider } from './provider/image-provider.js';
import { MetProvider } from './provider/met-provider.js';
import { SearchService } from './service/search-service.js';

export { type ArtSearchConfig, artSearchConfigSchema, loadArtSearchConfig } from './config/settings.js';

export const SERVICE_NAME = 'art-search';
export const SERVICE_VERSION = packageVersion(import.meta.url);
/** The Met client's name, as its errors and metrics spell it. */
const MET_API_NAME = 'Met Collection API';

export interface BuildAppOverrides {
  /** Replaces the Met connection pool (unit tests pass undici's MockAgent). */
  metDispatcher?: Dispatcher;
  /** Replaces the whole business layer (route tests pass a stub). */
  searchService?: SearchService;
  /** Replaces the image host's connection pool (tests pass undici's MockAgent). */
  imageDispatcher?: Dispatcher;
}

/** The layer below every interface: the REST routes and MCP (over HTTP or stdio) share one of these. */
export interface SearchLayer {
  metrics: ServiceMetrics;
  /** What to close on shutdown (the Met client's connection pool). */
  resources: ServiceResources;
  metClient: UpstreamClient;
  provider: MetProvider;
  service: SearchService;
  images: ImageProvider;
}

/** The largest image `get_artwork_image` sends (MCP clients hand images to a model; the Met's originals can be huge). */
const MAX_IMAGE_BYTES = 8 * 1024 * 1024;

/**
 * Builds the Met client (with its request budget), the cached provider and the service from one configuration: one
 * of each per process, whichever interfaces use them, so the Met budget and the cache hold across all of them.
 */
export function buildSearchLayer(config: ArtSearchConfig, overrides: BuildAppOverrides = {}): SearchLayer {
  const metrics = createServiceMetrics(SERVICE_NAME);
  const resources = new ServiceResources();
  const { refusalCooldownMs, ...met } = config.met;
  const metClient = resources.closeOnShutdown(
    new UpstreamClient({
      name: MET_API_NAME,
      ...met,
      // The Met's bot wall answers 403 with an HTML page; calling again into it only prolongs the block.
      refusalCooldown: { cooldownMs: refusalCooldownMs },
      userAgent: config.userAgent,
      metrics,
      dispatcher: overrides.metDispatcher,
    }),
  );
  const provider = new MetProvider(
    metClient,
    {
      enabled: config.cacheEnabled,
      maxEntries: config.cacheMaxEntries,
      objectTtlMs: config.cacheObjectTtlSeconds * 1000,
      searchTtlMs: config.cacheSearchTtlSeconds * 1000,
      notFoundTtlMs: config.cacheNotFoundTtlSeconds * 1000,
      maxStaleMs: config.cacheMaxStaleSeconds * 1000,
    },
    metrics,
  );
  const service =
    overrides.searchService ??
    new SearchService(provider, { maxCandidates: config.searchMaxCandidates, concurrency: config.searchConcurrency });
  const images = new ImageProvider({
    userAgent: config.userAgent,
    timeoutMs: config.met.timeoutMs,
    maxBytes: MAX_IMAGE_BYTES,
    dispatcher: overrides.imageDispatcher,
  });
  return { metrics, resources, metClient, provider, service, images };
}

/**
 * The composition root: builds the search layer, then the REST routes and the MCP endpoint over it, from one
 * configuration. Nothing is built at import time, so tests build as many independent apps as they like, without a port.
 */
export async function buildApp(config: ArtSearchConfig, overrides: BuildAppOverrides = {}): Promise<ServiceApp> {
  const { metrics, resources, metClient, provider, service, images } = buildSearchLayer(config, overrides);

  const app = await createServiceApp({
    name: SERVICE_NAME,
    config,
    metrics,
    resources,
    openApi: {
      title: 'Art Search',
      version: SERVICE_VERSION,
      description:
        'Searches The Metropolitan Museum of Art collection by title and returns the image of the best match.',
      tags: [
        { name: 'search', description: 'The original, minimal contract.' },
        { name: 'artworks', description: 'Versioned API with artwork details.' },
        { name: 'health', description: 'Probes for orchestrators.' },
      ],
    },
  });
  await app.register(healthPlugin, {
    // A Met outage must not take every replica out of rotation: they still answer from the cache, and a clear 502
    // for the rest. The Met's state is reported in the body and the `dependency_up` metric instead.
    checks: {},
    dependencies: { met: () => provider.ping() },
    checkTimeoutMs: config.met.timeoutMs,
    cacheMs: config.readinessCacheMs,
  });
  await registerArtSearchRoutes(app, service, { upstream: metClient.name, config: config.met });
  const mcp = { service, images, log: app.log };
  await registerMcpRoutes(app, { createServer: () => createArtSearchMcpServer(mcp, SERVICE_VERSION) });
  return app;
}
