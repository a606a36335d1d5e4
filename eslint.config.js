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
  ...adapterBoundaries(),
);

function adapterBoundaries() {
  const only = {
    execa: { folder: 'src/harness', message: 'Only src/harness/ runs subprocesses.' },
    'node:child_process': { folder: 'src/harness', message: 'Only src/harness/ runs subprocesses.' },
    dockerode: { folder: 'src/harness', message: 'Only src/harness/ speaks to Docker.' },
    'better-sqlite3': { folder: 'src/queue', message: 'Only src/queue/ touches the database.' },
  };
  const folders = [...new Set(Object.values(only).map((o) => o.folder))];
  const restricted = (except) => Object.entries(only).filter(([, o]) => o.folder !== except).map(([name, o]) => ({ name, message: o.message }));
  return [
    { files: ['src/**/*.ts'], ignores: folders.map((f) => `${f}/**`), rules: { 'no-restricted-imports': ['error', { paths: restricted(undefined) }] } },
    ...folders.map((folder) => ({ files: [`${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { paths: restricted(folder) }] } })),
  ];
}
