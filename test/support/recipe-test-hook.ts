// Recipe tests preload a resolver hook that recipe-tests.ts copies from next to itself as
// `resolve-app-domain.js`. That file exists in the build (dist/), but unit tests run the stage
// from src/, where there is only resolve-app-domain.ts. A test file that runs recipe tests
// therefore mocks node:fs with this: copying that one missing .js writes the .ts transpiled by
// TypeScript instead; everything else is the real node:fs.
//   vi.mock('node:fs', async (real) =>
//     (await import('../../support/recipe-test-hook.js')).withHookFromSource(await real()));
import ts from 'typescript';

type Fs = typeof import('node:fs');

export function withHookFromSource(fs: Fs): Fs {
  const copyFileSync: Fs['copyFileSync'] = (src, dest, mode) => {
    const from = String(src);
    if (from.endsWith('/resolve-app-domain.js') && !fs.existsSync(from)) {
      const source = fs.readFileSync(from.replace(/\.js$/, '.ts'), 'utf8');
      const compilerOptions = { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 };
      fs.writeFileSync(dest, ts.transpileModule(source, { compilerOptions }).outputText);
      return;
    }
    fs.copyFileSync(src, dest, mode);
  };
  // Named imports and the default export (`import fs from 'node:fs'`) both see the patch.
  return { ...fs, copyFileSync, default: { ...fs, copyFileSync } } as Fs;
}
