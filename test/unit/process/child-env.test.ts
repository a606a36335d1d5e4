// The one builder of the programs' environment: only PATH and HOME come from cc-ci's own
// environment (never its secrets), the caller adds the rest, and cc-ci's own child inherits all.
import { describe, expect, it } from 'vitest';
import { ccciChildEnv, childEnv, DEFAULT_PATH, droneRunChildEnv } from '../../../src/process/child-env.js';

describe('childEnv', () => {
  const from = { PATH: '/opt/bin:/usr/bin', HOME: '/home/ci', CCCI_FORGE_TOKEN: 'secret', LANG: 'de_DE.UTF-8' };

  it('takes PATH and HOME from cc-ci and nothing else', () => {
    expect(childEnv({}, from)).toEqual({ PATH: '/opt/bin:/usr/bin', HOME: '/home/ci' });
  });

  it('adds what the caller gives, which may override HOME', () => {
    expect(childEnv({ HOME: '/tmp/t', ABRA_DIR: '/a', DOCKER_HOST: undefined }, from)).toEqual({
      PATH: '/opt/bin:/usr/bin',
      HOME: '/tmp/t',
      ABRA_DIR: '/a',
      DOCKER_HOST: undefined,
    });
  });

  it('falls back to a PATH with sbin and /root when cc-ci has neither', () => {
    expect(childEnv({}, {})).toEqual({ PATH: DEFAULT_PATH, HOME: '/root' });
    const wanted = ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin'];
    expect(DEFAULT_PATH.split(':')).toEqual(expect.arrayContaining(wanted));
  });

  it("gives cc-ci's own child the whole environment, as a copy", () => {
    const env = ccciChildEnv(from);
    expect(env).toEqual(from);
    expect(env).not.toBe(from);
  });

  it('gives the run under a Drone step everything but the ingest secret, as a copy', () => {
    const step = { ...from, CCCI_INGEST_SECRET: 'the-shared-ingest-secret', CCCI_RUN_ID: 'r-1' };
    const env = droneRunChildEnv(step);
    expect(env).toEqual({ ...from, CCCI_RUN_ID: 'r-1' });
    expect(step.CCCI_INGEST_SECRET).toBe('the-shared-ingest-secret');
  });
});
