// A forge that takes the connection and never answers: git is killed at its time limit and the
// run reports DEADLINE (an error, exit 3), never a bad ref that would refuse the run (exit 2).
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneRepo, resolveRef } from '../../../src/git/git.js';
import { exitCodeFor } from '../../../src/model/errors.js';

let silent: Server;
let url: string;
const sockets: Socket[] = [];

beforeAll(async () => {
  silent = createServer((s) => sockets.push(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const { port } = silent.address() as { port: number };
  url = `http://127.0.0.1:${port}/coop-cloud/custom-html.git`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

const git = (args: string[]) => execFileSync('git', args, { stdio: 'pipe' });

describe('git against a forge that does not answer', () => {
  it('a clone that runs out of time is DEADLINE', async () => {
    const err = await cloneRepo(url, join(mkdtempSync(join(tmpdir(), 'git-')), 'c'), { timeoutMs: 1_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({
      code: 'DEADLINE',
      message: expect.stringMatching(/git clone gave no answer within 1 s/),
    });
    expect(exitCodeFor(err)).toBe(3);
  });

  it('fetching a ref that runs out of time is DEADLINE, not an unknown ref', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'git-'));
    git(['init', '--quiet', join(dir, 'origin')]);
    git([
      '-C',
      join(dir, 'origin'),
      '-c',
      'user.name=t',
      '-c',
      'user.email=t@t',
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'x',
    ]);
    await cloneRepo(join(dir, 'origin'), join(dir, 'c'));
    git(['-C', join(dir, 'c'), 'remote', 'set-url', 'origin', url]);
    const err = await resolveRef(join(dir, 'c'), 'refs/pull/7/head', { timeoutMs: 1_000 }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'DEADLINE',
      message: expect.stringMatching(/git fetch gave no answer within 1 s/),
    });
    expect(exitCodeFor(err)).toBe(3);
  });
});
