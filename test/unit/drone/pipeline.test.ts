// `cc-ci drone pipeline`: the runner repository's .drone.yml, read back by the yaml library and by
// the stand-in Drone's reader (what its exec runners run), and the CLI around it.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { dronePipeline, droneStepCommand, INGEST_SECRET_NAME } from '../../../src/drone/pipeline.js';
import { pipelinesFor } from '../../../testbed/drone/pipeline.js';

describe('the runner repository’s .drone.yml', () => {
  it('one exec pipeline for custom builds, its step running cc-ci drone step with the secret from Drone', () => {
    expect(parse(dronePipeline())).toEqual({
      kind: 'pipeline',
      type: 'exec',
      name: 'cc-ci',
      platform: { os: 'linux', arch: 'amd64' },
      clone: { disable: true },
      trigger: { event: ['custom'] },
      steps: [
        {
          name: 'run',
          commands: ['exec cc-ci drone step'],
          environment: { CCCI_INGEST_SECRET: { from_secret: INGEST_SECRET_NAME } },
        },
      ],
    });
    // The stand-in Drone reads it as a pipeline of a custom build, and of no other event.
    const [pipeline] = pipelinesFor(dronePipeline({ ccCi: '/opt/cc-ci/bin/cc-ci' }), 'custom');
    expect(pipeline).toMatchObject({ name: 'cc-ci', type: 'exec', cloneDisabled: true });
    expect(pipeline?.steps).toEqual([
      {
        name: 'run',
        commands: ['exec /opt/cc-ci/bin/cc-ci drone step'],
        environment: {},
        secrets: { CCCI_INGEST_SECRET: 'ccci_ingest_secret' },
      },
    ]);
    expect(pipelinesFor(dronePipeline(), 'push')).toEqual([]);
  });

  it('the paths it puts into the step’s shell line are plain', () => {
    expect(droneStepCommand({ ccCi: '/usr/local/bin/cc-ci', config: '/etc/cc-ci/runner.yml' })).toBe(
      'exec /usr/local/bin/cc-ci drone step --config /etc/cc-ci/runner.yml',
    );
    for (const bad of ['cc-ci; rm -rf /', '$(id)', 'a b', '--help', 'x`y`'])
      expect(() => droneStepCommand({ ccCi: bad })).toThrow(/plain path/);
    expect(() => droneStepCommand({ config: 'c.yml && id' })).toThrow(/--config/);
  });

  it('cc-ci drone pipeline prints it', () => {
    const cli = ['--import', 'tsx', 'src/cli.ts', 'drone', 'pipeline', '--cc-ci', '/usr/bin/cc-ci'];
    const out = execFileSync(process.execPath, cli, { encoding: 'utf8' });
    expect(parse(out)).toMatchObject({ steps: [{ commands: ['exec /usr/bin/cc-ci drone step'] }] });
  });
});
