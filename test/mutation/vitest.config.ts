import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { unitProject } from '../../vitest.config.js';

// StrykerJS runs the unit project only (stryker.config.mjs): integration tests need Kafka and Postgres and
// take minutes, far too slow to repeat per mutant. The runner cannot pick a project, so this config holds one.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  // Instrumented code on two shared cores: the property-based tests need more than the default five seconds.
  test: { ...unitProject.test, testTimeout: 60_000, setupFiles: ['test/mutation/property-setup.ts'] },
});
