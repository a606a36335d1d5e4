// No import circles in src/, between files or between folders (static and dynamic imports, types
// included). Imports up a floor are lint's (eslint.config.js); a circle within one floor is this
// test's to find.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../../src');
// The one known upward import (eslint.config.js, upwardExceptions): left out of the folder graph.
const knownUpward = new Set(['model -> backupbot']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** file -> the files of src/ it imports. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const imports = /(?:import|export)\s[^;]*?\sfrom\s+'(\.[^']+)'|import\('(\.[^']+)'\)/g;
  for (const file of sourceFiles(src)) {
    const text = readFileSync(file, 'utf8');
    const targets = [...text.matchAll(imports)].map((m) =>
      resolve(dirname(file), (m[1] ?? m[2])!).replace(/\.js$/, '.ts'),
    );
    graph.set(
      file,
      targets.filter((t) => t.startsWith(src)),
    );
  }
  return graph;
}

/** The strongly connected components with more than one member (Tarjan). */
function circles<T>(graph: Map<T, Iterable<T>>): T[][] {
  let next = 0;
  const index = new Map<T, number>();
  const low = new Map<T, number>();
  const stack: T[] = [];
  const onStack = new Set<T>();
  const found: T[][] = [];
  const visit = (v: T) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: T[] = [];
      let w: T;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

const folderOf = (file: string) => relative(src, file).split('/')[0]!.replace(/\.ts$/, '');

describe('the import graph of src/', () => {
  const graph = importGraph();

  it('has no circle between files', () => {
    expect(
      circles(graph).map((c) =>
        c
          .map((f) => relative(src, f))
          .sort()
          .join(' <-> '),
      ),
    ).toEqual([]);
  });

  it('has no circle between folders', () => {
    const folders = new Map<string, Set<string>>();
    for (const [file, targets] of graph) {
      const from = folderOf(file);
      if (!folders.has(from)) folders.set(from, new Set());
      for (const t of targets) {
        const to = folderOf(t);
        if (to !== from && !knownUpward.has(`${from} -> ${to}`)) folders.get(from)!.add(to);
      }
    }
    expect(circles(folders).map((c) => c.sort().join(' <-> '))).toEqual([]);
  });
});
