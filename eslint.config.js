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
    execa: { folder: 'src/process', message: 'Only src/process/ runs subprocesses.' },
    'node:child_process': { folder: 'src/process', message: 'Only src/process/ runs subprocesses.' },
    dockerode: { folder: 'src/docker', message: 'Only src/docker/ speaks to Docker.' },
    '@lydell/node-pty': { folder: 'src/process', message: 'Only src/process/ runs subprocesses (pty.ts, under a pseudo-terminal).' },
    'better-sqlite3': { folder: 'src/queue', message: 'Only src/queue/ touches the database.' },
    // Type-only imports are let through for now (no runtime coupling); prefer src/forge/types.ts.
    'gitea-js': { folder: 'src/forge', message: 'Only src/forge/ speaks to the forge; import its types from src/forge/types.ts.', allowTypeImports: true },
    undici: { folder: 'src/forge', message: 'Only src/forge/ speaks to the forge over HTTP.' },
  };
  // Globals that are an adapter's client too: the global fetch is how src/forge/ reaches the forge
  // (src/stages/ reaches apps through node:http, requestViaIngress).
  const onlyGlobals = {
    fetch: { folder: 'src/forge', message: 'Only src/forge/ uses the global fetch (the forge client); apps are reached through requestViaIngress.' },
  };
  const all = [...Object.values(only), ...Object.values(onlyGlobals)];
  const folders = [...new Set(all.map((o) => o.folder))];
  const others = (map, except) => Object.entries(map).filter(([, o]) => o.folder !== except);
  const rules = (except) => ({
    // typescript-eslint's version of no-restricted-imports, for allowTypeImports.
    'no-restricted-imports': 'off',
    '@typescript-eslint/no-restricted-imports': ['error', {
      paths: others(only, except).map(([name, o]) => ({ name, message: o.message, allowTypeImports: o.allowTypeImports ?? false })),
      // Subpaths too (undici/…, gitea-js/…); node: built-ins have none.
      patterns: others(only, except).filter(([name]) => !name.startsWith('node:'))
        .map(([name, o]) => ({ group: [`${name}/*`], message: o.message, allowTypeImports: o.allowTypeImports ?? false })),
    }],
    'no-restricted-globals': ['error', ...others(onlyGlobals, except).map(([name, o]) => ({ name, message: o.message }))],
    'no-restricted-properties': ['error', ...others(onlyGlobals, except).map(([property, o]) => ({ object: 'globalThis', property, message: o.message }))],
  });
  return [
    { files: ['src/**/*.ts'], ignores: folders.map((f) => `${f}/**`), rules: rules(undefined) },
    ...folders.map((folder) => ({ files: [`${folder}/**/*.ts`], rules: rules(folder) })),
  ];
}
