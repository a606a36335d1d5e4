// The drone executor's port (DroneBuilds) made of the REST client, against the stand-in Drone:
// what the executor reads of a build as it goes from pending to its end.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { droneBuilds } from '../../../src/drone/builds.js';
import { createDroneClient } from '../../../src/drone/client.js';
import type { DroneBuild, DroneBuilds } from '../../../src/executors/drone/drone-builds.js';
import { startDrone, type Drone } from '../../../testbed/drone/main.js';

const REPO = 'ops/cc-ci-runner';
let drone: Drone;
let dir: string;
let builds: DroneBuilds;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'drone-builds-'));
  writeFileSync(
    join(dir, '.drone.yml'),
    'kind: pipeline\ntype: exec\nname: cc-ci\nclone: {disable: true}\ntrigger: {event: [custom]}\n' +
      'steps:\n- name: run\n  commands:\n  - \'while [ ! -e "$GO" ]; do sleep 0.05; done\'\n',
  );
  drone = await startDrone({ pollMs: 20 });
  drone.control.addRepo(REPO, dir, 'main');
  // The executor's port, typed as the executor declares it: the adapter must fit it.
  builds = droneBuilds(createDroneClient({ url: drone.url, token: drone.token, repo: REPO }), 'main');
});

afterAll(async () => {
  await drone?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function until(number: number, ok: (b: DroneBuild) => boolean): Promise<DroneBuild> {
  const end = Date.now() + 10_000;
  for (;;) {
    const build = await builds.get(number);
    if (build && ok(build)) return build;
    if (Date.now() > end) throw new Error(`gave up; last seen ${JSON.stringify(build)}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}

describe('droneBuilds: the executor’s port over the Drone client', () => {
  it('pending without a host, running on its runner host, done at the end; its page; 404 is undefined', async () => {
    const go = join(dir, 'go');
    const number = await builds.create({ CCCI_RUN_ID: 'r1', GO: go });
    expect(await builds.get(number)).toEqual({
      number,
      status: 'pending',
      done: false,
      link: `${drone.url}/${REPO}/${number}`,
    });
    drone.control.addRunner({ name: 'runner-east', capacity: 1 });
    expect(await until(number, (b) => b.status === 'running')).toMatchObject({ done: false, machine: 'runner-east' });
    writeFileSync(go, '');
    expect(await until(number, (b) => b.done)).toMatchObject({ status: 'success', machine: 'runner-east' });
    expect(await builds.get(number + 100)).toBeUndefined();
  });

  it('cancel: the build ends killed, done', async () => {
    const number = await builds.create({ CCCI_RUN_ID: 'r2', GO: join(dir, 'never') });
    await until(number, (b) => b.status === 'running');
    await builds.cancel(number);
    expect(await builds.get(number)).toMatchObject({ status: 'killed', done: true });
  });
});
