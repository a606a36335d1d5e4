// Executors by name: local, and drone built from runner.drone (its token needed at start).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { EventStream } from '../../../src/executors/event-stream.js';
import { createExecutor } from '../../../src/executors/registry.js';
import { createLogger } from '../../../src/log/create-logger.js';
import { systemClock } from '../../../src/model/clock.js';
import type { RunEventLine } from '../../../src/model/run-events.js';
import { SecretRegistry } from '../../../src/secrets/secret-registry.js';

function configWith(executor: string, runnerMore = '') {
  const dir = mkdtempSync(join(tmpdir(), 'cc-ci-exec-'));
  mkdirSync(join(dir, 'abra', 'servers', 'default'), { recursive: true });
  const yaml =
    'swarm: {server: default, domain: ci.test, abraDir: ./abra}\n' +
    `runner: {executor: ${executor}${runnerMore}}\nstore: ./store\n`;
  writeFileSync(join(dir, 'cc-ci.yml'), yaml);
  const secrets = new SecretRegistry();
  const config = loadConfig({ path: join(dir, 'cc-ci.yml'), secrets });
  return { config, log: createLogger({ secrets, console: false }).log, clock: systemClock };
}

describe('executor registry', () => {
  it('builds the local executor', () => {
    const executor = createExecutor(configWith('local'));
    expect(typeof executor.start).toBe('function');
    expect(typeof executor.reattach).toBe('function');
  });

  it('builds the drone executor from runner.drone; without its token it says which key to set', () => {
    const drone = ', drone: {url: "https://drone.example.org", repo: ops/cc-ci-runner}';
    expect(() => createExecutor(configWith('drone', drone))).toThrowError(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('runner.drone.tokenFile') }),
    );
    const withToken = configWith('drone', drone);
    const config = { ...withToken.config, secrets: { ...withToken.config.secrets, droneToken: 'drone-token-123' } };
    const executor = createExecutor({ ...withToken, config });
    expect(typeof executor.start).toBe('function');
  });
});

describe('event stream', () => {
  const line = (seq: number): RunEventLine => ({
    runId: 'r',
    seq,
    at: '2026-01-01T00:00:00Z',
    type: 'stage-started',
    stage: 'install',
  });

  it('replays what it has seen to a late listener, then hands over each new event', () => {
    const stream = new EventStream();
    stream.push(line(1));
    const early: number[] = [];
    stream.onEvent((e) => early.push(e.seq));
    stream.push(line(2));
    const late: number[] = [];
    const stop = stream.onEvent((e) => late.push(e.seq));
    stream.push(line(3));
    stop();
    stream.push(line(4));
    expect(early).toEqual([1, 2, 3, 4]);
    expect(late).toEqual([1, 2, 3]);
  });
});
