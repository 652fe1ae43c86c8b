import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'src/generated/', 'node_modules/', 'coverage/', '.stryker-tmp/', 'reports/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // kafkajs is patched before it loads (src/kafka/kafkajs/patches): whatever runs it imports it from
    // src/kafka/kafkajs/patched.ts, the one module that loads it.
    files: ['**/*.ts'],
    ignores: ['src/kafka/kafkajs/patched.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'kafkajs',
              message: 'Import kafkajs from src/kafka/kafkajs/patched.ts, which patches it first.',
              allowTypeImports: true,
            },
          ],
          patterns: [
            {
              group: ['kafkajs/*'],
              message: "kafkajs's internals are patched in src/kafka/kafkajs/patches only.",
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
  {
    // The domain core stays pure: no I/O, no adapters.
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'net', 'http', 'pg', 'kafkajs', 'fastify', 'pino', '@prisma/*', 'prom-client'],
              message: 'src/domain must stay free of I/O.',
            },
            {
              group: ['../store/*', '../kafka/*', '../http/*', '../processing/*', '../observability/*'],
              message: 'src/domain must not depend on outer layers.',
            },
          ],
        },
      ],
    },
  },
);
