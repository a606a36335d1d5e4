// What the Docker adapter reports when it cannot do what it was asked, against a stand-in for
// dockerode's client: no container to exec in (of the app's stack, or another service), and the
// Engine unreachable or answering with an error. blame.ts judges these facts.
import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { SwarmDocker } from '../../../src/docker/docker.js';
import { CcciError, FactError } from '../../../src/model/errors.js';

const engine = (api: Partial<Record<keyof Docker, unknown>>) => new SwarmDocker(api as unknown as Docker);
const socketGone = () => Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' });

describe("the Docker adapter's facts", () => {
  it("no running container: of a service of the app's stack, or of another", async () => {
    const docker = engine({ listContainers: async () => [] });
    const app = await docker.execInService('st', 'db', ['psql']).catch((e: unknown) => e);
    expect(app).toBeInstanceOf(FactError);
    expect(app).toMatchObject({
      message: 'no running container of service st_db to run "psql" in',
      fact: { source: 'docker', what: 'no-container', service: 'st_db', ofTheApp: true },
    });
    const bot = await docker.execInNamedService('backups_app', ['restic']).catch((e: unknown) => e);
    expect(bot).toMatchObject({ fact: { what: 'no-container', service: 'backups_app', ofTheApp: false } });
  });
  it('an Engine it cannot reach, or one that answers with an error: DOCKER_FAILED with which', async () => {
    const gone = await engine({
      listServices: async () => {
        throw socketGone();
      },
    })
      .services('st')
      .catch((e: unknown) => e);
    expect(gone).toBeInstanceOf(CcciError);
    expect(gone).toMatchObject({
      code: 'DOCKER_FAILED',
      message: 'Docker Engine: listing services failed: connect ENOENT /var/run/docker.sock',
      fact: { source: 'docker', what: 'unreachable' },
    });
    const refused = Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500 });
    const answer = await engine({
      listServices: async () => {
        throw refused;
      },
    })
      .services('st')
      .catch((e: unknown) => e);
    expect(answer).toMatchObject({ code: 'DOCKER_FAILED', fact: { source: 'docker', what: 'engine-error' } });
  });
});
