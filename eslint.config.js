import { readdirSync } from 'node:fs';
import { fileURLToPath, URL } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// The floors of src/, bottom up (docs/architecture.md): a folder may import its own floor and
// those below, never one above, types included. A new folder must be given a floor here.
const floors = [
  ['model', 'secrets', 'validate'],
  ['log', 'config', 'recipe', 'spec'],
  ['process', 'git', 'abra', 'docker', 'backupbot', 'browser', 'forge'],
  ['apps'],
  ['stages'],
  ['runner', 'report'],
  ['executors'],
  ['queue'],
  ['trigger'],
  ['doctor'],
  ['server'],
  ['wiring'],
  ['demo', 'cli'],
];
// Known imports up a floor, each to be removed by whoever owns the file.
const upwardExceptions = {
  // blame.ts reads restic's lock message with backupbot's isRepoLocked (moving down with the blame.ts work).
  'src/model/blame.ts': ['backupbot'],
};

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
  // Each external system has one adapter folder; nothing else imports its client. And no folder
  // imports one on a higher floor.
  ...boundaries(),
);

function boundaries() {
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
  // An import of a folder above, from anywhere below src/ (`../queue/…`, `../../cli.js`).
  const upward = (unit, above) => above.map((name) => ({
    regex: `^(\\.\\./)+${name}(/|\\.js$|$)`,
    message: `src/${unit} may not import ${name}: it is on a higher floor (eslint.config.js, docs/architecture.md).`,
  }));
  const rules = (except, unit, above = []) => ({
    // typescript-eslint's version of no-restricted-imports, for allowTypeImports.
    'no-restricted-imports': 'off',
    '@typescript-eslint/no-restricted-imports': ['error', {
      paths: others(only, except).map(([name, o]) => ({ name, message: o.message, allowTypeImports: o.allowTypeImports ?? false })),
      // Subpaths too (undici/…, gitea-js/…); node: built-ins have none.
      patterns: [
        ...others(only, except).filter(([name]) => !name.startsWith('node:'))
          .map(([name, o]) => ({
            group: [`${name}/*`], message: o.message, allowTypeImports: o.allowTypeImports ?? false,
          })),
        ...upward(unit, above),
      ],
    }],
    'no-restricted-globals': ['error', ...others(onlyGlobals, except).map(([name, o]) => ({ name, message: o.message }))],
    'no-restricted-properties': ['error', ...others(onlyGlobals, except).map(([property, o]) => ({ object: 'globalThis', property, message: o.message }))],
  });
  // Every entry of src/ (a folder, or cli.ts) is on a floor; its rules say what is above it.
  const units = readdirSync(fileURLToPath(new URL('src', import.meta.url)), { withFileTypes: true })
    .map((e) => (e.isDirectory() ? e.name : e.name.replace(/\.ts$/, '')));
  const floorOf = (unit) => floors.findIndex((floor) => floor.includes(unit));
  const lost = units.filter((unit) => floorOf(unit) < 0);
  if (lost.length > 0) throw new Error(`eslint.config.js: give src/${lost.join(', src/')} a floor in \`floors\``);
  const above = (unit, allowed = []) => floors.slice(floorOf(unit) + 1).flat().filter((u) => !allowed.includes(u));
  const adapter = (unit) => (folders.includes(`src/${unit}`) ? `src/${unit}` : undefined);
  return [
    ...floors.flat().map((unit) => ({
      files: [`src/${unit}/**/*.ts`, `src/${unit}.ts`],
      rules: rules(adapter(unit), unit, above(unit)),
    })),
    ...Object.entries(upwardExceptions).map(([file, allowed]) => {
      const unit = file.split('/')[1];
      return { files: [file], rules: rules(adapter(unit), unit, above(unit, allowed)) };
    }),
  ];
}
