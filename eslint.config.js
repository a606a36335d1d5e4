import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const noEnums = { selector: 'TSEnumDeclaration', message: 'Use a string-literal union, not an enum.' };

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // Plain Node scripts (test instruments, worked examples) run outside TypeScript.
  {
    files: ['**/*.mjs', 'test/e2e/bin/**'],
    languageOptions: {
      globals: {
        process: 'readonly',
        fetch: 'readonly',
        console: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        Int32Array: 'readonly',
      },
    },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Prettier wraps code at 120; comments, strings and template text are kept to it here.
      'max-len': ['error', { code: 120, tabWidth: 2 }],
      'no-restricted-syntax': ['error', noEnums],
    },
  },
  // Each external system has one adapter folder; nothing else imports its client.
  ...adapterBoundaries(),
  // The floors of src/ (docs/architecture.md): a folder imports only folders on lower floors;
  // and no file is on an import circle, in src/ or in the stand-ins, types included.
  {
    files: ['src/**/*.ts', 'testbed/**/*.ts'],
    plugins: { floors: { rules: { 'import-down': importDownRule(), 'no-circle': noCircleRule() } } },
    rules: { 'floors/no-circle': 'error' },
  },
  { files: ['src/**/*.ts'], rules: { 'floors/import-down': 'error' } },
);

/**
 * src/'s floors, lowest first. A file may import its own folder and folders on lower floors;
 * folders on one floor stay independent of each other. cli.ts is the roof.
 */
export const floors = [
  ['secrets'],
  ['model'],
  ['validate', 'log', 'config', 'recipe', 'report'],
  ['spec'],
  ['process', 'forge'],
  ['git', 'docker', 'browser', 'drone'],
  ['backupbot'],
  ['abra'],
  ['apps'],
  ['stages'],
  ['runner'],
  ['executors'],
  ['queue'],
  ['trigger', 'schedule'],
  ['doctor', 'host'],
  ['server'],
  ['wiring'],
  ['demo'],
  ['cli.ts'],
];

/** The relative imports of a file (type-only ones too), resolved to .ts files. */
function relativeImports(file) {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.[^']+)'/g)].map((m) => m[1]);
  return specs.map((spec) => path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'));
}

/**
 * Circles through imports, types included. eslint-plugin-import-x's no-cycle skips `import type`,
 * and a circle of types still ties two files together, so this walks the graph itself: the files
 * of src/ and testbed/ and their relative imports, strongly connected components by Tarjan.
 */
function importCircles() {
  const files = ['src', 'testbed'].flatMap((dir) =>
    readdirSync(dir, { recursive: true })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => path.resolve(dir, f)),
  );
  const graph = new Map(files.map((f) => [f, relativeImports(f).filter((t) => t !== f)]));
  const index = new Map();
  const low = new Map();
  const stack = [];
  const onStack = new Set();
  const circleOf = new Map();
  let next = 0;
  const visit = (v) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)));
    }
    if (low.get(v) !== index.get(v)) return;
    const members = [];
    let w;
    do {
      w = stack.pop();
      onStack.delete(w);
      members.push(w);
    } while (w !== v);
    if (members.length > 1) for (const m of members) circleOf.set(m, members);
  };
  for (const f of graph.keys()) if (!index.has(f)) visit(f);
  return circleOf;
}

function noCircleRule() {
  let circles;
  return {
    meta: { type: 'problem', schema: [] },
    create(context) {
      circles ??= importCircles();
      const members = circles.get(context.filename);
      if (!members) return {};
      const check = (node) => {
        const spec = node.source?.value;
        if (typeof spec !== 'string' || !spec.startsWith('.')) return;
        const target = path.resolve(path.dirname(context.filename), spec).replace(/\.js$/, '.ts');
        if (!members.includes(target)) return;
        const names = members
          .map((m) => path.relative(path.resolve('.'), m))
          .sort()
          .join(', ');
        context.report({ node, message: `import circle: ${names}` });
      };
      return {
        ImportDeclaration: check,
        ExportNamedDeclaration: check,
        ExportAllDeclaration: check,
        ImportExpression: check,
      };
    },
  };
}

function importDownRule() {
  const src = path.resolve('src');
  const folderOf = (file) => path.relative(src, file).split(path.sep)[0];
  const floorOf = (folder) => floors.findIndex((f) => f.includes(folder));
  return {
    meta: { type: 'problem', schema: [] },
    create(context) {
      const from = folderOf(context.filename);
      const check = (node) => {
        const spec = node.source?.value;
        if (typeof spec !== 'string' || !spec.startsWith('.')) return;
        const to = folderOf(path.resolve(path.dirname(context.filename), spec));
        if (to === from || to.startsWith('..')) return;
        const [a, b] = [floorOf(from), floorOf(to)];
        if (a < 0 || b < 0) {
          context.report({
            node,
            message: `src/${a < 0 ? from : to} has no floor: add it to floors in eslint.config.js`,
          });
        } else if (b >= a) {
          context.report({
            node,
            message: `src/${from} (floor ${a}) may not import src/${to} (floor ${b}): imports go down`,
          });
        }
      };
      return {
        ImportDeclaration: check,
        ExportNamedDeclaration: check,
        ExportAllDeclaration: check,
        ImportExpression: check,
      };
    },
  };
}

function adapterBoundaries() {
  const only = {
    execa: { folder: 'src/process', message: 'Only src/process/ runs subprocesses.' },
    'node:child_process': { folder: 'src/process', message: 'Only src/process/ runs subprocesses.' },
    dockerode: { folder: 'src/docker', message: 'Only src/docker/ speaks to Docker.' },
    '@lydell/node-pty': {
      folder: 'src/process',
      message: 'Only src/process/ runs subprocesses (pty.ts, under a pseudo-terminal).',
    },
    'better-sqlite3': { folder: 'src/queue', message: 'Only src/queue/ touches the database.' },
    // Type-only imports are let through for now (no runtime coupling); prefer src/forge/types.ts.
    'gitea-js': {
      folder: 'src/forge',
      message: 'Only src/forge/ speaks to the forge; import its types from src/forge/types.ts.',
      allowTypeImports: true,
    },
    undici: { folder: 'src/forge', message: 'Only src/forge/ speaks to the forge over HTTP.' },
    // Types too: src/browser/chromium.ts re-exports Browser, BrowserContext and Page.
    'playwright-core': {
      folder: 'src/browser',
      message: 'Only src/browser/ starts Chromium (launchChromium); import its types from there.',
    },
  };
  // Globals that are an adapter's client too: the global fetch is how src/forge/ reaches the forge
  // (src/stages/ reaches apps through node:http, requestViaIngress).
  const onlyGlobals = {
    fetch: {
      folder: 'src/forge',
      message: 'Only src/forge/ uses the global fetch (the forge client); apps are reached through requestViaIngress.',
    },
  };
  const all = [...Object.values(only), ...Object.values(onlyGlobals)];
  const folders = [...new Set(all.map((o) => o.folder))];
  const others = (map, except) => Object.entries(map).filter(([, o]) => o.folder !== except);
  const rules = (except) => ({
    // typescript-eslint's version of no-restricted-imports, for allowTypeImports.
    'no-restricted-imports': 'off',
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        paths: others(only, except).map(([name, o]) => ({
          name,
          message: o.message,
          allowTypeImports: o.allowTypeImports ?? false,
        })),
        // Subpaths too (undici/…, gitea-js/…); node: built-ins have none.
        patterns: others(only, except)
          .filter(([name]) => !name.startsWith('node:'))
          .map(([name, o]) => ({
            group: [`${name}/*`],
            message: o.message,
            allowTypeImports: o.allowTypeImports ?? false,
          })),
      },
    ],
    'no-restricted-globals': [
      'error',
      ...others(onlyGlobals, except).map(([name, o]) => ({ name, message: o.message })),
    ],
    // import() too (clients are loaded on first use); this replaces the base list, so it repeats noEnums.
    'no-restricted-syntax': [
      'error',
      noEnums,
      ...others(only, except).map(([name, o]) => ({
        selector: `ImportExpression[source.value=/^${name.replace(/[/.@-]/g, (c) => `\\${c}`)}(\\/|$)/]`,
        message: o.message,
      })),
    ],
    'no-restricted-properties': [
      'error',
      ...others(onlyGlobals, except).map(([property, o]) => ({ object: 'globalThis', property, message: o.message })),
    ],
  });
  return [
    { files: ['src/**/*.ts'], ignores: folders.map((f) => `${f}/**`), rules: rules(undefined) },
    ...folders.map((folder) => ({ files: [`${folder}/**/*.ts`], rules: rules(folder) })),
  ];
}
