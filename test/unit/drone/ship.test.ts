// The shipper on its own against a real serve on 127.0.0.1: files larger than a chunk arrive
// whole and byte-identical; a chunk serve took but whose answer was lost is not sent twice (serve
// says the offset it holds); links and odd names in the artifacts folder are never sent.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runIngestKey } from '../../../src/drone/ingest-credential.js';
import { postChunk, readAnswer } from '../../../src/drone/ingest-http.js';
import { startShipping } from '../../../src/drone/ship.js';
import { runFolder } from '../../../src/model/run-folder.js';
import { INGEST_SECRET, runRequest, startIngestServer, type IngestServer } from '../../support/ingest-server.js';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-ship-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let serve: IngestServer | undefined;
afterEach(async () => {
  await serve?.close();
  serve = undefined;
});

const bytes = (n: number, seed: number) => Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 3) % 256));

describe('the shipper', () => {
  it('sends files larger than a chunk whole; a lost answer is not a duplicate; links stay home', async () => {
    const s = (serve = await startIngestServer(root));
    s.store.insertRun('r-1', runRequest());
    s.store.markRunning('r-1', undefined);
    const target = { serveUrl: s.base, runId: 'r-1', key: runIngestKey(INGEST_SECRET, 'r-1') };
    const local = runFolder(mkdtempSync(join(root, 'runner-')), 'r-1');
    mkdirSync(local.artifacts, { recursive: true });
    const events = Buffer.from(Array.from({ length: 50 }, (_, i) => `{"seq":${i + 1}}\n`).join(''));
    writeFileSync(local.events, events);
    writeFileSync(local.log, bytes(10_000, 7));
    writeFileSync(join(local.artifacts, 'shot.png'), bytes(5_000, 13));
    writeFileSync(join(local.artifacts, 'empty.txt'), '');
    writeFileSync(local.results, '{"verdict":"pass"}');
    writeFileSync(join(root, 'secret.txt'), 'not for serve');
    symlinkSync(join(root, 'secret.txt'), join(local.artifacts, 'link.txt'));
    // The first 1000 bytes of run.log reached serve, but their answer was lost on the way.
    expect(await postChunk(target, 'artifacts/run.log', 0, readFileSync(local.log).subarray(0, 1000))).toEqual({
      kind: 'held',
      offset: 1000,
    });

    const said: string[] = [];
    const shipper = startShipping({ folder: local, target, say: (l) => said.push(l), chunkBytes: 777, pollMs: 50 });
    expect(await shipper.finish()).toEqual({ delivered: true });
    const remote = runFolder(s.config.store, 'r-1');
    expect(readFileSync(remote.events).equals(events)).toBe(true);
    expect(readFileSync(remote.log).equals(readFileSync(local.log))).toBe(true);
    expect(readFileSync(join(remote.artifacts, 'shot.png')).equals(bytes(5_000, 13))).toBe(true);
    expect(readFileSync(join(remote.artifacts, 'empty.txt'), 'utf8')).toBe('');
    expect(readFileSync(remote.results, 'utf8')).toBe('{"verdict":"pass"}');
    expect(existsSync(join(remote.artifacts, 'link.txt'))).toBe(false);
    expect(said).toEqual([]);
  });

  it('reads serve’s answers: held offsets, what to retry, what is refused for good', () => {
    expect(readAnswer(200, '{"offset":5}')).toEqual({ kind: 'held', offset: 5 });
    expect(readAnswer(409, '{"error":{"code":"OFFSET_HELD","message":"m"},"offset":9}')).toEqual({
      kind: 'held',
      offset: 9,
    });
    expect(readAnswer(200, '{"offset":5,"stop":{"code":"SUPERSEDED","message":"by r-9"}}')).toEqual({
      kind: 'held',
      offset: 5,
      stop: { code: 'SUPERSEDED', message: 'by r-9' },
    });
    // Only the stop codes of the child contract.
    expect(readAnswer(200, '{"offset":5,"stop":{"code":"PASSED"}}')).toEqual({ kind: 'held', offset: 5 });
    for (const status of [500, 502, 503, 429, 401]) expect(readAnswer(status, '<html>').kind).toBe('retry');
    for (const status of [400, 404, 410, 413])
      expect(readAnswer(status, '{"error":{"message":"m"}}').kind).toBe('refused');
  });
});
