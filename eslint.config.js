import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain Node scripts (test instruments, worked examples) run outside TypeScript.
  {
    files: ['**/*.mjs', 'test/e2e/bin/**'],
    languageOptions: { globals: { process: 'readonly', fetch: 'readonly', console: 'readonly', SharedArrayBuffer: 'readonly', Atomics: 'readonly', Int32Array: 'readonly' } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'TSEnumDeclaration', message: 'Use a string-literal union, not an enum.' }],
    },
  },
  // Each external system has one adapter folder; nothing else imports its client.
  {
    files: ['src/**/*.ts'],
    ignores: ['src/harness/**'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          { name: 'execa', message: 'Only src/harness/ runs subprocesses.' },
          { name: 'dockerode', message: 'Only src/harness/ speaks to Docker.' },
          { name: 'node:child_process', message: 'Only src/harness/ runs subprocesses.' },
        ],
      }],
    },
  },
);
