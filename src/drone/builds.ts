// The drone executor's view of Drone (src/executors/drone/drone-builds.ts, DroneBuilds), made of
// the REST client: create a custom build on the configured branch, read it back as the executor
// follows it (status, done, the runner host, the build's page), cancel it. The shape is the
// executor's; this folder sits below it and cannot import its types, so the match is structural
// (test/unit/drone/builds.test.ts holds the two together).
import { isDone, runnerMachine } from './build-status.js';
import type { DroneClient } from './client.js';

export interface FollowedBuild {
  number: number;
  status: string;
  done: boolean;
  machine?: string;
  /** The build's page in Drone's web interface. */
  link?: string;
}

export function droneBuilds(client: DroneClient, branch?: string) {
  return {
    create: (params: Record<string, string>): Promise<number> => client.start({ params, branch }),
    async get(number: number): Promise<FollowedBuild | undefined> {
      const build = await client.get(number);
      if (!build) return undefined;
      const machine = runnerMachine(build);
      return {
        number: build.number,
        status: build.status,
        done: isDone(build.status),
        ...(machine ? { machine } : {}),
        link: `${client.url}/${client.repo}/${build.number}`,
      };
    },
    cancel: (number: number): Promise<void> => client.cancel(number),
  };
}
