import { defineConfig, type TestProjectInlineConfiguration } from 'vitest/config';

/** Also run alone by the mutation tests (test/mutation/vitest.config.ts). */
export const unitProject = {
  test: { name: 'unit', include: ['test/unit/**/*.test.ts'] },
} satisfies TestProjectInlineConfiguration;

// Unit tests are pure. Integration and end-to-end tests share one real Kafka
// broker and one real Postgres, provided once per run by the global set-up.
export default defineConfig({
  test: {
    projects: [
      unitProject,
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/fault/**/*.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
