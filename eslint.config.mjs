import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.emulator/', 'jest.config.js', 'jest.chaos.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      // One import statement per module, type-only names included (`import { type X, y }`).
      'no-duplicate-imports': 'error',
    },
  },
  {
    // Tests load modules inside jest.isolateModules, which needs require().
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The layering the README and docs/design.md §9 promise, enforced (test/infra/lintLayering.test.ts
  // shows each rule failing on a planted import).
  {
    // The protocol: no SDK, no adapter, nothing outside src/rotation. Azure's quirks live in adapters.
    files: ['src/rotation/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/*', 'applicationinsights', 'applicationinsights/*'],
              message:
                'src/rotation is the protocol and imports no SDK: put the Azure call in an adapter behind a port (src/rotation/ports.ts).',
            },
            {
              group: ['../*', '../../*'],
              message: 'src/rotation imports only from src/rotation: adapters depend on the protocol, never the other way round.',
            },
          ],
        },
      ],
    },
  },
  {
    // The product never imports the emulator (the CLI's `emulator` command loads it at run time from
    // the source checkout), and the emulator is a stand-in for Azure: it knows nothing of the product.
    files: ['src/**/*.ts'],
    ignores: ['src/rotation/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/emulator', '**/emulator/*'], message: 'src/ must not import the emulator: it is not part of a deployment.' },
          ],
        },
      ],
    },
  },
  {
    files: ['emulator/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/src', '**/src/*'], message: 'emulator/ plays Azure and must not import the product (src/).' }] },
      ],
    },
  },
);
