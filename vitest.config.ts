import { defineConfig } from 'vitest/config';

// Two projects: fast units beside the code, and integration tests that start real third-party
// TLS servers (openssl, nginx) or the built CLI, with longer timeouts.
export default defineConfig({
  test: {
    reporters: ['default', ['junit', { outputFile: 'reports/test-results/junit.xml' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'suites/**/*.test.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
