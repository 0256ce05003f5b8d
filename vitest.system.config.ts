import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// System tests build the service images and run them with Podman, so they are kept out of `npm test`.
// Like the unit tests they import workspace packages (the Met emulator) from source.
const conditions = ['source', ...defaultServerConditions];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    // Each image's own test, then the compose test of deploy/compose.yaml (which runs the images those build).
    include: ['{packages,services,tools,ml}/*/tests/system/**/*.test.ts', 'scripts/container/system-test/**/*.test.ts'],
    environment: 'node',
    // Files share podman's image store and build cache; one at a time keeps builds from racing.
    fileParallelism: false,
    testTimeout: 60_000,
    // A cold image build downloads and compiles everything.
    hookTimeout: 900_000,
  },
});
