// The step's parameters from the build's variables, checked like `cc-ci run`'s arguments, and
// the child's command line built from them (the local executor's runArgs, shared).
import { describe, expect, it } from 'vitest';
import { readStepParams } from '../../../src/drone/step-params.js';
import { runArgs } from '../../../src/executors/local/local-executor.js';
import { CcciError } from '../../../src/model/errors.js';
import { runFolder } from '../../../src/model/run-folder.js';

const sha = 'a'.repeat(40);
const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  CCCI_RUN_ID: '20261207T150000Z-ab12',
  CCCI_RECIPE: 'custom-html',
  CCCI_REPO: 'https://git.example.org/coop-cloud/custom-html.git',
  CCCI_REF: 'refs/pull/7/head',
  CCCI_SHA: sha,
  CCCI_STAGES: 'install,backup',
  CCCI_KEEP: 'true',
  CCCI_SERVE_URL: 'https://ci.example.org',
  DRONE_RUNNER_NAME: 'runner-2',
  DRONE_BUILD_NUMBER: '41',
  ...extra,
});

function refused(e: NodeJS.ProcessEnv): CcciError {
  try {
    readStepParams(e);
  } catch (err) {
    if (err instanceof CcciError) return err;
    throw err;
  }
  throw new Error('not refused');
}

describe('the drone step parameters', () => {
  it('reads every variable and builds the child contract’s command line from them', () => {
    const p = readStepParams(env());
    expect(p).toMatchObject({
      id: '20261207T150000Z-ab12',
      recipe: 'custom-html',
      ref: 'refs/pull/7/head',
      sha,
      stages: ['install', 'backup'],
      keep: true,
      serveUrl: 'https://ci.example.org/',
      runner: 'runner-2',
      build: '41',
    });
    const folder = runFolder('/var/lib/cc-ci', p.id);
    expect(runArgs(p, folder, '/etc/cc-ci/cc-ci.yml', 'cli.js')).toEqual([
      'cli.js',
      'run',
      'custom-html',
      '--ref',
      'refs/pull/7/head',
      '--sha',
      sha,
      '--repo',
      'https://git.example.org/coop-cloud/custom-html.git',
      '--stages',
      'install,backup',
      '--keep',
      '--run-id',
      '20261207T150000Z-ab12',
      '--events',
      '/var/lib/cc-ci/runs/20261207T150000Z-ab12/events.jsonl',
      '--config',
      '/etc/cc-ci/cc-ci.yml',
    ]);
  });

  it('optional ones may be empty: no sha, every stage, no keep', () => {
    const p = readStepParams(env({ CCCI_SHA: '', CCCI_STAGES: '', CCCI_KEEP: '', DRONE_RUNNER_NAME: undefined }));
    expect(p.sha).toBeUndefined();
    expect(p.stages).toEqual([]);
    expect(p.keep).toBe(false);
    expect(p.runner).toBeUndefined();
    expect(readStepParams(env({ DRONE_RUNNER_NAME: '', DRONE_STAGE_MACHINE: 'host-b' })).runner).toBe('host-b');
  });

  it('refuses what cc-ci run would refuse, and a missing variable says what the step is', () => {
    expect(refused(env({ CCCI_RUN_ID: undefined })).message).toContain('CCCI_RUN_ID is not set');
    expect(refused(env({ CCCI_RUN_ID: '../x' })).code).toBe('INPUT_INVALID');
    expect(refused(env({ CCCI_RECIPE: 'Bad Name' })).code).toBe('INPUT_INVALID');
    expect(refused(env({ CCCI_REF: '--upload-pack=x' })).code).toBe('INPUT_INVALID');
    expect(refused(env({ CCCI_SHA: 'abc' })).code).toBe('INPUT_INVALID');
    expect(refused(env({ CCCI_STAGES: 'install,deploy' })).code).toBe('INPUT_INVALID');
    expect(refused(env({ CCCI_REPO: 'https://user:pw@git.example.org/r.git' })).message).not.toContain('pw');
    expect(refused(env({ CCCI_KEEP: 'yes' })).code).toBe('USAGE');
    expect(refused(env({ CCCI_SERVE_URL: 'ftp://ci.example.org' })).code).toBe('USAGE');
    expect(refused(env({ CCCI_SERVE_URL: 'https://u:p@ci.example.org' })).code).toBe('USAGE');
  });
});
