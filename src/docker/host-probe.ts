// Read-only looks at the Docker host for `cc-ci doctor`: the engine and its swarm, a network, the
// services (whether Chromium starts is src/browser/probe.ts). Each answers within a short timeout:
// a dead socket or a hung daemon is an answer ("does not answer"), never a hang.
import Docker from 'dockerode';
import { CcciError, errorMessage } from '../model/errors.js';

export const PROBE_TIMEOUT_MS = 5_000;

export interface EngineInfo {
  version: string;
  apiVersion: string;
  /** Where the engine keeps images, containers and volumes (DockerRootDir), on the engine's host. */
  rootDir: string;
  swarm: { state: string; controlAvailable: boolean; nodeId: string; error: string };
}

export interface NetworkInfo {
  driver: string;
  attachable: boolean;
  scope: string;
}

export interface ServiceInfo {
  name: string;
  image: string;
  labels: Record<string, string>;
  running: number;
  desired: number;
}

export interface DockerProbe {
  /** Rejects with a message saying where it could not reach the engine. */
  engine(): Promise<EngineInfo>;
  /** undefined when there is no network of that name. */
  network(name: string): Promise<NetworkInfo | undefined>;
  services(): Promise<ServiceInfo[]>;
}

export function createDockerProbe(dockerHost: string, timeoutMs = PROBE_TIMEOUT_MS): DockerProbe {
  const url = new URL(dockerHost);
  if (!['unix:', 'tcp:', 'http:'].includes(url.protocol)) {
    throw new CcciError(
      'CONFIG_INVALID',
      `swarm.dockerHost: unsupported ${dockerHost} (use unix:///path or tcp://host:port)`,
    );
  }
  const api =
    url.protocol === 'unix:'
      ? new Docker({ socketPath: url.pathname, timeout: timeoutMs })
      : new Docker({ host: url.hostname, port: Number(url.port || 2375), timeout: timeoutMs });
  // docker-modem's timeout covers a silent socket; this one covers everything else.
  const within = <T>(what: string, op: () => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${what}: no answer within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      op()
        .then(resolve, (err: unknown) =>
          reject(
            Object.assign(new Error(`${what}: ${errorMessage(err)}`), {
              statusCode: (err as { statusCode?: number }).statusCode,
            }),
          ),
        )
        .finally(() => clearTimeout(timer));
    });
  return {
    async engine() {
      const [info, version] = await within(`Docker Engine at ${dockerHost}`, () =>
        Promise.all([api.info(), api.version()]),
      );
      const swarm =
        (info as { Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string; Error?: string } })
          .Swarm ?? {};
      return {
        version: version.Version ?? '?',
        apiVersion: version.ApiVersion ?? '?',
        rootDir: (info as { DockerRootDir?: string }).DockerRootDir ?? '',
        swarm: {
          state: swarm.LocalNodeState ?? 'unknown',
          controlAvailable: swarm.ControlAvailable === true,
          nodeId: swarm.NodeID ?? '',
          error: swarm.Error ?? '',
        },
      };
    },
    async network(name) {
      try {
        const n = (await within(`inspecting network ${name}`, () => api.getNetwork(name).inspect())) as {
          Driver?: string;
          Attachable?: boolean;
          Scope?: string;
        };
        return { driver: n.Driver ?? '', attachable: n.Attachable === true, scope: n.Scope ?? '' };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async services() {
      const list = await within('listing services', () =>
        api.listServices({ status: true } as Docker.ServiceListOptions),
      );
      return list.map((s) => ({
        name: s.Spec?.Name ?? s.ID,
        image: (s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec?.Image ?? '',
        labels: (s.Spec?.Labels ?? {}) as Record<string, string>,
        running: s.ServiceStatus?.RunningTasks ?? 0,
        desired: s.ServiceStatus?.DesiredTasks ?? 0,
      }));
    },
  };
}
