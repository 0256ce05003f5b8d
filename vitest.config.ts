import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export their TypeScript sources under the `source` condition, so tests run
// against src/ without a build step (the images use the compiled dist/ through the default condition).
const conditions = ['source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: [
      '{packages,services,tools,ml}/*/tests/{unit,integration,property}/**/*.test.ts',
      'deploy/tests/**/*.test.ts',
      'scripts/tests/{unit,integration}/**/*.test.ts',
      'tests/resilience/**/*.test.ts',
    ],
    environment: 'node',
    // eventsource and eventsource-parser (under the MCP SDK's HTTP client transports) export their TypeScript sources
    // under `source` too: let Vite load them, and the two SDK modules that import them, so Vite compiles those sources.
    server: {
      deps: {
        inline: [
          /@modelcontextprotocol[/\\]sdk[/\\]dist[/\\]esm[/\\]client[/\\](streamableHttp|sse)\.js$/,
          /eventsource/,
        ],
      },
    },
    testTimeout: 20_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: [
        'packages/service-kit/src/**/*.ts',
        'packages/mlflow-model/src/**/*.ts',
        'services/art-search/src/**/*.ts',
        'services/model-server/src/**/*.ts',
        'services/price-orchestrator/src/**/*.ts',
        'tools/met-emulator/src/**/*.ts',
        'ml/housing-price-model/src/**/*.ts',
      ],
      exclude: ['**/*.d.ts'],
      reporter: ['text-summary', 'text', 'html', 'json-summary'],
      thresholds: {
        'packages/service-kit/src/**/*.ts': { lines: 90 },
        'packages/mlflow-model/src/**/*.ts': { lines: 90 },
        'services/art-search/src/**/*.ts': { lines: 90 },
        'services/model-server/src/**/*.ts': { lines: 90 },
        'services/price-orchestrator/src/**/*.ts': { lines: 90 },
        'ml/housing-price-model/src/**/*.ts': { lines: 90 },
      },
    },
  },
});
