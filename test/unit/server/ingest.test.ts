// The ingest routes on the whole server listening on 127.0.0.1: a right credential appends at the
// offset; a wrong credential, another run's credential and a replay are refused; a body over the
// limit is 413; offsets held or beyond are 409 with the offset held; artifact names and links;
// an ended run; nothing of a credential in serve's log.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ingestAuthorization,
  ingestPath,
  runIngestKey,
  type IngestStream,
} from '../../../src/drone/ingest-credential.js';
import { runFolder } from '../../../src/model/run-folder.js';
import { INGEST_BODY_LIMIT } from '../../../src/server/ingest.js';
import { INGEST_SECRET, runRequest, startIngestServer, type IngestServer } from '../../support/ingest-server.js';

const root = mkdtempSync(join(tmpdir(), 'cc-ci-ingest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let server: IngestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function serveWithRuns(...ids: string[]): Promise<IngestServer> {
  server = await startIngestServer(root);
  for (const id of ids) {
    server.store.insertRun(id, runRequest());
    server.store.markRunning(id, undefined);
  }
  return server;
}

interface Sent {
  status: number;
  body: { offset?: number; error?: { code: string; message: string } };
  headers: Headers;
}

/** One ingest request; signed for `signFor` (default: the run it goes to) with `secret`. */
async function send(
  s: IngestServer,
  runId: string,
  stream: IngestStream,
  offset: number,
  body: Buffer,
  opts: { secret?: string; signFor?: { runId: string; offset?: number; body?: Buffer }; authorization?: string } = {},
): Promise<Sent> {
  const path = ingestPath(runId, stream);
  const signer = opts.signFor ?? { runId };
  const key = runIngestKey(opts.secret ?? INGEST_SECRET, signer.runId);
  const authorization =
    opts.authorization ??
    ingestAuthorization(key, 'POST', ingestPath(signer.runId, stream), signer.offset ?? offset, signer.body ?? body);
  const res = await fetch(`${s.base}${path}?offset=${offset}`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', authorization },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Sent['body']) : {}, headers: res.headers };
}

const events = (id: string) => (s: IngestServer) => runFolder(s.config.store, id).events;
const artifact = (id: string, name: string) => (s: IngestServer) => join(runFolder(s.config.store, id).artifacts, name);

describe('the ingest routes', () => {
  it('append each chunk at its offset, into the files a local child writes', async () => {
    const s = await serveWithRuns('r-1');
    const one = Buffer.from('{"type":"run-started","seq":1}\n');
    const two = Buffer.from('{"type":"stage-started","seq":2}\n');
    expect((await send(s, 'r-1', 'events', 0, one)).body).toEqual({ offset: one.length });
    expect((await send(s, 'r-1', 'events', one.length, two)).body).toEqual({ offset: one.length + two.length });
    expect(readFileSync(events('r-1')(s), 'utf8')).toBe(`${one}${two}`);
    const log = Buffer.from('{"msg":"install"}\n');
    expect((await send(s, 'r-1', 'artifacts/run.log', 0, log)).status).toBe(200);
    expect(readFileSync(artifact('r-1', 'run.log')(s), 'utf8')).toBe(log.toString());
    // The run's page and log route read the same file.
    const page = await fetch(`${s.base}/runs/r-1/artifacts/run.log`);
    expect(await page.text()).toBe(log.toString());
  });

  it('refuse a wrong credential, another run’s credential and a replay; nothing is written', async () => {
    const s = await serveWithRuns('r-1', 'r-2');
    const chunk = Buffer.from('line\n');
    const wrong = await send(s, 'r-1', 'events', 0, chunk, { secret: 'another-secret-of-the-same-length-01234567' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error?.code).toBe('UNAUTHORIZED');
    // r-2's runner holds r-2's key; it is no key for r-1.
    expect((await send(s, 'r-1', 'events', 0, chunk, { signFor: { runId: 'r-2' } })).status).toBe(401);
    // A signature made for another offset or another body does not carry over.
    expect((await send(s, 'r-1', 'events', 0, chunk, { signFor: { runId: 'r-1', offset: 5 } })).status).toBe(401);
    const other = Buffer.from('evil\n');
    expect((await send(s, 'r-1', 'events', 0, chunk, { signFor: { runId: 'r-1', body: other } })).status).toBe(401);
    expect(existsSync(events('r-1')(s))).toBe(false);

    // A captured request sent again as it was: its offset is held by now.
    const first = await send(s, 'r-1', 'events', 0, chunk);
    expect(first.status).toBe(200);
    const replay = await send(s, 'r-1', 'events', 0, chunk);
    expect(replay.status).toBe(409);
    expect(replay.body).toMatchObject({ error: { code: 'OFFSET_HELD' }, offset: chunk.length });
    expect(readFileSync(events('r-1')(s), 'utf8')).toBe('line\n');

    // Neither the secret, nor a key, nor a signature reaches serve's log.
    await new Promise((r) => setTimeout(r, 200));
    const logged = readFileSync(s.logFile, 'utf8');
    expect(logged).toContain('wrong credential');
    expect(logged).not.toContain(INGEST_SECRET);
    expect(logged).not.toContain(runIngestKey(INGEST_SECRET, 'r-1').toString('hex'));
    expect(logged).not.toContain('CCCI-Ingest');
  });

  it('a retry of the last chunk is safe; an offset beyond is 409 with the offset held', async () => {
    const s = await serveWithRuns('r-1');
    const a = Buffer.from('aaaa\n');
    const b = Buffer.from('bbbb\n');
    await send(s, 'r-1', 'artifacts/run.log', 0, a);
    await send(s, 'r-1', 'artifacts/run.log', a.length, b);
    // The answer to b was lost; the runner sends b again.
    const again = await send(s, 'r-1', 'artifacts/run.log', a.length, b);
    expect(again.status).toBe(409);
    expect(again.body.offset).toBe(a.length + b.length);
    const beyond = await send(s, 'r-1', 'artifacts/run.log', 100, Buffer.from('c\n'));
    expect(beyond.status).toBe(409);
    expect(beyond.body.offset).toBe(a.length + b.length);
    expect(readFileSync(artifact('r-1', 'run.log')(s), 'utf8')).toBe('aaaa\nbbbb\n');
    // An empty body asks what serve holds without changing it.
    expect((await send(s, 'r-1', 'artifacts/run.log', 0, Buffer.alloc(0))).body.offset).toBe(10);
  });

  it('a body over the limit is 413 and writes nothing', async () => {
    const s = await serveWithRuns('r-1');
    const big = Buffer.alloc(INGEST_BODY_LIMIT + 1, 0x61);
    const res = await send(s, 'r-1', 'artifacts/run.log', 0, big);
    expect(res.status).toBe(413);
    expect(existsSync(artifact('r-1', 'run.log')(s))).toBe(false);
    // At the limit it is taken.
    expect((await send(s, 'r-1', 'artifacts/run.log', 0, big.subarray(0, INGEST_BODY_LIMIT))).status).toBe(200);
  });

  it('artifact names are plain file names, and a link in the artifacts folder is not written through', async () => {
    const s = await serveWithRuns('r-1');
    for (const name of ['..', '.hidden', 'a%2Fb', '..%2F..%2Fetc'])
      expect([400, 404]).toContain((await send(s, 'r-1', `artifacts/${name}`, 0, Buffer.from('x'))).status);
    const outside = join(root, 'outside.txt');
    writeFileSync(outside, 'untouched');
    const dir = runFolder(s.config.store, 'r-1').artifacts;
    mkdirSync(dir, { recursive: true });
    symlinkSync(outside, join(dir, 'evil.txt'));
    const res = await send(s, 'r-1', 'artifacts/evil.txt', 9, Buffer.from('more'));
    expect(res.status).toBe(409);
    expect(readFileSync(outside, 'utf8')).toBe('untouched');
  });

  it('an unknown run is 404; a run that ended takes late artifacts for a while, then 410', async () => {
    const s = await serveWithRuns('r-1');
    expect((await send(s, 'r-none', 'events', 0, Buffer.from('x'))).status).toBe(404);
    s.store.finishRun('r-1', { state: 'passed' }, new Date());
    expect((await send(s, 'r-1', 'artifacts/results.json', 0, Buffer.from('{}'))).status).toBe(200);
    s.store.insertRun('r-old', runRequest());
    s.store.finishRun('r-old', { state: 'passed' }, new Date(Date.now() - 3_600_000));
    const late = await send(s, 'r-old', 'artifacts/results.json', 0, Buffer.from('{}'));
    expect(late.status).toBe(410);
    expect(late.body.error?.code).toBe('RUN_FINISHED');
  });

  it('an address that keeps sending wrong credentials must wait (429), whatever it sends', async () => {
    const s = await serveWithRuns('r-1');
    const chunk = Buffer.from('x\n');
    expect((await send(s, 'r-1', 'events', 0, chunk, { authorization: 'Bearer x' })).status).toBe(401);
    for (let i = 0; i < 5; i++) await send(s, 'r-1', 'events', 0, chunk, { signFor: { runId: 'r-2' } });
    const blocked = await send(s, 'r-1', 'events', 0, chunk);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('without an ingest secret', () => {
  it('the routes do not exist', async () => {
    server = await startIngestServer(root, { CCCI_INGEST_SECRET: '' });
    server.store.insertRun('r-1', runRequest());
    const res = await send(server, 'r-1', 'events', 0, Buffer.from('x'));
    expect(res.status).toBe(404);
  });
});
