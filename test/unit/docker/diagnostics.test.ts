// Diagnostics without Docker: demuxing Docker's multiplexed log format, and collectDiagnostics
// against a fake port (masking, file names, unsafe names, failures that must not throw).
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chronologicalLogs, demuxLogs } from '../../../src/docker/docker.js';
import { collectDiagnostics, lastWords, type DiagnosticsPort } from '../../../src/docker/diagnostics.js';

function frame(stream: 1 | 2, text: string | Buffer): Buffer {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe('demuxLogs', () => {
  it('joins stdout and stderr frames in the order they came', () => {
    const body = Buffer.concat([frame(1, 'starting\n'), frame(2, 'cannot open /config/app.toml\n'), frame(1, 'bye\n')]);
    expect(demuxLogs(body)).toBe('starting\ncannot open /config/app.toml\nbye\n');
  });

  it('keeps a multi-byte character split across two frames', () => {
    const euro = Buffer.from('€\n', 'utf8'); // e2 82 ac 0a
    const body = Buffer.concat([frame(1, euro.subarray(0, 1)), frame(1, euro.subarray(1))]);
    expect(demuxLogs(body)).toBe('€\n');
  });

  it('handles empty frames, an empty body and a truncated last frame', () => {
    expect(demuxLogs(Buffer.alloc(0))).toBe('');
    expect(demuxLogs(Buffer.concat([frame(1, ''), frame(2, 'x\n')]))).toBe('x\n');
    const full = frame(2, 'last words\n');
    expect(demuxLogs(Buffer.concat([frame(1, 'a\n'), full.subarray(0, full.length - 3)]))).toBe('a\nlast wor');
  });

  it('returns a body that is not framed (a TTY service) as it is', () => {
    expect(demuxLogs(Buffer.from('plain text\nfrom a tty\n'))).toBe('plain text\nfrom a tty\n');
  });
});

describe('chronologicalLogs', () => {
  // As the service logs API sends them: the tasks in any order, each entry one timestamped frame.
  const ts = (s: string) => `2026-11-30T13:26:${s}Z `;
  it('sorts the entries of all tasks by time and removes the timestamps', () => {
    const body = Buffer.concat([
      frame(1, `${ts('11.129132037')}out B\n`),
      frame(2, `${ts('11.181415309')}err B\n`),
      frame(1, `${ts('07.290832238')}out A\n`),
      frame(2, `${ts('07.345517654')}err A\n`),
    ]);
    expect(chronologicalLogs(body)).toBe('out A\nerr A\nout B\nerr B\n');
  });

  it('keeps the order of entries of one instant, pads short fractions, and joins continuation frames', () => {
    const body = Buffer.concat([
      frame(1, `${ts('08.5')}late\n`),
      frame(1, `${ts('08.000000000')}first\n`),
      frame(2, `${ts('08.000000000')}second `),
      frame(2, 'continued\n'),
      frame(1, `${ts('08.49')}early\n`),
    ]);
    expect(chronologicalLogs(body)).toBe('first\nsecond continued\nearly\nlate\n');
  });

  it('sorts unframed (TTY) lines too, and gives an empty body as empty', () => {
    expect(chronologicalLogs(Buffer.from(`${ts('09.000000002')}two\r\n${ts('09.000000001')}one\r\n`))).toBe(
      'one\r\ntwo\r\n',
    );
    expect(chronologicalLogs(Buffer.alloc(0))).toBe('');
  });
});

function fakePort(
  logs: Record<string, string | Error>,
  opts: { servicesFail?: boolean; imagesFail?: boolean } = {},
): DiagnosticsPort {
  return {
    async services(stack) {
      if (opts.servicesFail) throw new Error('daemon gone');
      return Object.keys(logs).map((name) => ({ name: `${stack}_${name}` }));
    },
    async serviceLogs(service) {
      const v = logs[service.replace(/^[^_]+_ci_test_/, '')];
      if (v instanceof Error) throw v;
      return v ?? '';
    },
    async serviceImages() {
      if (opts.imagesFail) throw new Error('images unreadable');
      return [
        { service: 'app', image: 'nginx:1.27.2', digest: 'sha256:aaa' },
        { service: 'db', image: 'postgres:15' },
      ];
    },
  };
}

const stack = 'cras-abc123_ci_test';
const redact = (t: string) => t.replaceAll('hunter2', '***');

describe('collectDiagnostics', () => {
  it("writes each service's masked log tail and names the image it ran", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccci-diag-'));
    const lines: string[] = [];
    const got = await collectDiagnostics({
      docker: fakePort({ app: 'starting\npassword=hunter2\n', db: 'ready\n' }),
      stack,
      role: 'install',
      artifactsDir: dir,
      redact,
      log: (l) => lines.push(l),
    });
    expect(got).toEqual([
      { name: 'app', image: 'nginx:1.27.2', digest: 'sha256:aaa', log: 'logs-install-app.txt' },
      { name: 'db', image: 'postgres:15', log: 'logs-install-db.txt' },
    ]);
    expect(readFileSync(join(dir, 'logs-install-app.txt'), 'utf8')).toBe('starting\npassword=***\n');
    expect(readFileSync(join(dir, 'logs-install-db.txt'), 'utf8')).toBe('ready\n');
    expect(lines).toEqual([]);
  });

  it('skips names that are not safe file names, and a service whose logs fail, and logs why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccci-diag-'));
    const lines: string[] = [];
    const got = await collectDiagnostics({
      docker: fakePort({ app: new Error('boom hunter2'), we$ird: 'x\n', ok: 'fine\n' }),
      stack,
      role: 'upgrade',
      artifactsDir: dir,
      redact,
      log: (l) => lines.push(l),
    });
    expect(got.map((e) => [e.name, e.log])).toEqual([
      ['app', undefined],
      ['ok', 'logs-upgrade-ok.txt'],
      ['we$ird', undefined],
    ]);
    expect(readdirSync(dir)).toEqual(['logs-upgrade-ok.txt']);
    expect(lines.join('\n')).toContain('boom ***');
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).toContain('we$ird');
  });

  it('writes nothing for an unsafe role', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccci-diag-'));
    const got = await collectDiagnostics({
      docker: fakePort({ app: 'x\n' }),
      stack,
      role: '../up',
      artifactsDir: dir,
      redact,
    });
    expect(got).toEqual([{ name: 'app', image: 'nginx:1.27.2', digest: 'sha256:aaa' }]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('never throws: a failing port gives what it has', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccci-diag-'));
    const lines: string[] = [];
    expect(
      await collectDiagnostics({
        docker: fakePort({ app: 'x' }, { servicesFail: true }),
        stack,
        role: 'install',
        artifactsDir: dir,
        redact,
        log: (l) => lines.push(l),
      }),
    ).toEqual([]);
    expect(lines[0]).toContain('daemon gone');
    const noImages = await collectDiagnostics({
      docker: fakePort({ app: 'x\n' }, { imagesFail: true }),
      stack,
      role: 'install',
      artifactsDir: dir,
      redact,
      log: (l) => lines.push(l),
    });
    expect(noImages).toEqual([{ name: 'app', image: '', log: 'logs-install-app.txt' }]);
    // An artifacts folder that does not exist: the write fails, the entry stays.
    const missing = join(dir, 'nope');
    expect(
      await collectDiagnostics({
        docker: fakePort({ app: 'x\n' }),
        stack,
        role: 'install',
        artifactsDir: missing,
        redact,
      }),
    ).toEqual([{ name: 'app', image: 'nginx:1.27.2', digest: 'sha256:aaa' }]);
    expect(existsSync(missing)).toBe(false);
    // Even a logger that throws does not escape.
    await expect(
      collectDiagnostics({
        docker: fakePort({ app: new Error('x') }),
        stack,
        role: 'install',
        artifactsDir: dir,
        redact,
        log: () => {
          throw new Error('logger');
        },
      }),
    ).resolves.toHaveLength(1);
  });
});

describe('lastWords', () => {
  const port = (text: string | Error): DiagnosticsPort => ({
    services: async () => [],
    serviceImages: async () => [],
    serviceLogs: async () => {
      if (text instanceof Error) throw text;
      return text;
    },
  });

  it('gives the last non-empty lines joined with " | "', async () => {
    expect(await lastWords(port('a\n\nstarting\r\n\ncannot open /config/app.toml\n\n'), 's', 2)).toBe(
      'starting | cannot open /config/app.toml',
    );
  });

  it('cuts long output from the front, keeping the end', async () => {
    const w = await lastWords(port(`${'x'.repeat(1000)}\nthe end\n`), 's');
    expect(w!.length).toBeLessThanOrEqual(300);
    expect(w!.endsWith('the end')).toBe(true);
    expect(w!.startsWith('…')).toBe(true);
  });

  it('is undefined for no output or an error', async () => {
    expect(await lastWords(port('\n\n'), 's')).toBeUndefined();
    expect(await lastWords(port(new Error('gone')), 's')).toBeUndefined();
  });
});
