import { defineConfig } from 'vitest/config';

/** Tests that measure rates and gaps (the rotation prober at 100/s): run last, one file at a time. */
const TIMING = ['test/rotation.test.ts', 'test/reference-matrix.test.ts'];

// Three projects: fast units beside the code; integration tests that start real third-party TLS
// servers, browsers and the built CLI, with longer timeouts; and the timing-sensitive ones, which
// run after the others have finished (sequence.groupOrder) so their rates are not measured on a
// machine busy with Chromium, 1,000-certificate chains and scans of many targets.
export default defineConfig({
  test: {
    reporters: ['default', ['junit', { outputFile: 'reports/test-results/junit.xml' }]],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'suites/**/*.test.ts'],
          testTimeout: 20_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: TIMING,
          testTimeout: 60_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'timing',
          include: TIMING,
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
