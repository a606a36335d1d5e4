// runInTerminal: the program sees a terminal, gets only the environment it is given, and a
// timeout or a stop kills its whole process group.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runInTerminal } from '../../../src/process/pty.js';

const env = { PATH: process.env.PATH, ONLY: 'this' };
const dir = mkdtempSync(join(tmpdir(), 'pty-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('runInTerminal', () => {
  it('gives the program a terminal on stdin and stdout, the given env only, and each line as it comes', async () => {
    const seen: string[] = [];
    const r = await runInTerminal(
      '/bin/sh',
      ['-c', 'test -t 0 && test -t 1 && echo tty; echo "env=$ONLY home=${HOME:-none}"; echo oops >&2; exit 4'],
      { env, onLine: (l) => seen.push(l) },
    );
    expect(r).toMatchObject({ exitCode: 4, timedOut: false, cancelled: false });
    expect(seen).toEqual(['tty', 'env=this home=none', 'oops']);
    expect(r.output).toBe('tty\nenv=this home=none\noops');
  });
  it('keeps everything written just before the exit, a long burst and a last line without a newline', async () => {
    // Without waiting for the terminal to drain, most of these lost their tail (the kernel's
    // hang-up arrives while the last bytes are still on their way).
    const lines = [
      ...Array.from({ length: 5_000 }, (_, i) => `line ${i + 1} of a burst`),
      'the last, without a newline',
    ];
    const program = "seq -f 'line %g of a burst' 5000; printf 'the last, without a newline'";
    for (let attempt = 0; attempt < 5; attempt++) {
      const seen: string[] = [];
      const r = await runInTerminal('/bin/sh', ['-c', program], { env, onLine: (l) => seen.push(l) });
      expect(r.exitCode).toBe(0);
      expect(seen.length).toBe(lines.length);
      expect(seen.at(-1)).toBe(lines.at(-1));
      expect(r.output).toBe(lines.join('\n'));
    }
  });
  it('passes arguments as they are, never through a shell', async () => {
    const r = await runInTerminal('/bin/echo', ['$HOME', '; rm -rf /', '`id`'], { env });
    expect(r.output).toBe('$HOME ; rm -rf / `id`');
  });
  it('on a timeout kills the whole group, children included', async () => {
    const marker = join(dir, 'child-survived');
    const started = Date.now();
    const r = await runInTerminal('/bin/sh', ['-c', `(sleep 2 && touch ${marker}) & sleep 30`], {
      env,
      timeoutMs: 300,
    });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    await new Promise((res) => setTimeout(res, 2_500));
    expect(existsSync(marker)).toBe(false);
  });
  it('on an abort stops the program and says it was cancelled', async () => {
    const stop = new AbortController();
    setTimeout(() => stop.abort(), 200);
    const r = await runInTerminal('/bin/sleep', ['30'], { env, signal: stop.signal });
    expect(r).toMatchObject({ cancelled: true, timedOut: false });
    expect(r.exitCode).not.toBe(0);
  });
});
