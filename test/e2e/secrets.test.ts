// Values abra generates for an app never reach stdout, stderr, results.json, junit.xml or the
// stored log, even when a tool prints them split across two output chunks.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { artifactsDir, configWith, fixtures, leftovers, runCli, spyAbra } from './helpers.js';

describe('secret masking', () => {
  it('masks the generated secrets of a database recipe everywhere cc-ci writes', async () => {
    const repos = await fixtures(['pg-app']);
    const config = configWith({ abra: spyAbra });
    const r = await runCli([
      'run',
      'pg-app',
      '--repo',
      repos['pg-app']!.url,
      '--ref',
      'main',
      '--quick',
      '--json',
      '--config',
      config,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const runId = r.results!.runId;
    const spyFile = `/tmp/cc-ci-spy/${runId}.json`;
    const generated = JSON.parse(readFileSync(spyFile, 'utf8')) as Array<{ name: string; value: string }>;
    rmSync(spyFile);
    expect(generated.map((s) => s.name)).toContain('db_password');
    const dir = artifactsDir(runId);
    const written = readdirSync(dir)
      .filter((f) => !f.endsWith('.png'))
      .map((f) => readFileSync(join(dir, f), 'utf8'));
    const everything = [r.stdout, r.stderr, ...written].join('\n');
    // The spy printed each value split in two; what cc-ci shows is the mask, not the value.
    expect(r.stderr).toContain('DEBU secret db_password=***');
    for (const { value } of generated) {
      expect(value.length).toBeGreaterThanOrEqual(16);
      expect(everything).not.toContain(value);
      expect(everything).not.toContain(
        value.slice(0, Math.floor(value.length / 2)) + value.slice(Math.floor(value.length / 2)),
      );
      expect(everything).not.toContain(Buffer.from(value).toString('base64'));
    }
    expect(await leftovers(r.results!.apps[0]!.stack)).toEqual([]);
  });
});
