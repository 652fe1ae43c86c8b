// Mutation tests (`npm run test:mutation`, not part of `npm test`): StrykerJS changes one operator or literal
// at a time in one folder of src and checks that some unit test fails. scripts/mutation.ts runs it once per
// folder, naming the folder in MUTATION_FOLDER; how to run it and the scores: docs/testing.md#mutation-tests.
const folder = process.env.MUTATION_FOLDER;
if (!folder) throw new Error('MUTATION_FOLDER is not set: run `npm run test:mutation [-- folder…]`');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'test/mutation/vitest.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'test/mutation/tsconfig.json',
  mutate: [`src/${folder}/**/*.ts`],
  coverageAnalysis: 'perTest',
  // A static mutant (a module-level constant) runs every unit test: too slow on two shared cores.
  ignoreStatic: true,
  // The results of the last run are committed, so a run from a fresh clone re-tests only what changed since.
  incremental: true,
  incrementalFile: `test/mutation/incremental/${folder}.json`,
  // Two shared cores: one test runner, one type checker.
  concurrency: 1,
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'html'],
  htmlReporter: { fileName: `reports/mutation/${folder}.html` },
  thresholds: { high: 90, low: 75, break: null },
};
