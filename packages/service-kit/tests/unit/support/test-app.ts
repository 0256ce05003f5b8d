import { createServiceApp, type ServiceApp, type ServiceMetrics, type ServiceResources } from '@mlms/service-kit';
import { quietServiceTestSettings } from '../../../../../test-support/config.js';

/** OpenAPI settings for throw-away test apps. */
export const TEST_OPENAPI = { title: 'Test Service', version: '0.0.1', description: 'An app built by a unit test.' };

/** A service app as every service builds one, but silent: the test registers routes and closes it. */
export function createTestApp(
  options: { name?: string; metrics?: ServiceMetrics; resources?: ServiceResources } = {},
): Promise<ServiceApp> {
  return createServiceApp({
    name: options.name ?? 'test-service',
    config: quietServiceTestSettings,
    openApi: TEST_OPENAPI,
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.resources ? { resources: options.resources } : {}),
  });
}
