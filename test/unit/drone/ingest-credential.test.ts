// The per-run ingest credential: a key per run from the shared secret, and a signature that
// covers the method, the path (so the run), the offset and the body.
import { describe, expect, it } from 'vitest';
import {
  ingestAuthorization,
  ingestPath,
  ingestSignatureMatches,
  runIngestKey,
  signIngest,
} from '../../../src/drone/ingest-credential.js';

const SECRET = 'shared-ingest-secret-0123456789abcdef';
const body = Buffer.from('{"type":"run-started"}\n');

describe('the ingest credential', () => {
  it('derives one key per run, and another secret gives other keys', () => {
    const a = runIngestKey(SECRET, 'run-a');
    expect(a).toHaveLength(32);
    expect(runIngestKey(SECRET, 'run-a').equals(a)).toBe(true);
    expect(runIngestKey(SECRET, 'run-b').equals(a)).toBe(false);
    expect(runIngestKey(`${SECRET}x`, 'run-a').equals(a)).toBe(false);
  });

  it('signs method, path, offset and body: a change in any of them is another signature', () => {
    const key = runIngestKey(SECRET, 'run-a');
    const path = ingestPath('run-a', 'events');
    expect(path).toBe('/api/runs/run-a/ingest/events');
    const base = signIngest(key, 'POST', path, 0, body);
    expect(signIngest(key, 'post', path, 0, body)).toBe(base);
    for (const other of [
      signIngest(key, 'PUT', path, 0, body),
      signIngest(key, 'POST', ingestPath('run-a', 'artifacts/run.log'), 0, body),
      signIngest(key, 'POST', path, 1, body),
      signIngest(key, 'POST', path, 0, Buffer.from('{"type":"run-finished"}\n')),
      signIngest(runIngestKey(SECRET, 'run-b'), 'POST', path, 0, body),
    ])
      expect(other).not.toBe(base);
  });

  it('checks a header: the right one matches; another run’s key, a malformed header or none do not', () => {
    const key = runIngestKey(SECRET, 'run-a');
    const expected = { key, method: 'POST', path: ingestPath('run-a', 'events'), offset: 0, body };
    const header = ingestAuthorization(key, 'POST', expected.path, 0, body);
    expect(header).toMatch(/^CCCI-Ingest [0-9a-f]{64}$/);
    expect(ingestSignatureMatches(header, expected)).toBe(true);
    const foreign = ingestAuthorization(runIngestKey(SECRET, 'run-b'), 'POST', expected.path, 0, body);
    expect(ingestSignatureMatches(foreign, expected)).toBe(false);
    expect(ingestSignatureMatches(`${header}0`, expected)).toBe(false);
    expect(ingestSignatureMatches(header.replace('CCCI-Ingest', 'Bearer'), expected)).toBe(false);
    expect(ingestSignatureMatches(undefined, expected)).toBe(false);
  });
});
