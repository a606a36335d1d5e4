// What `cc-ci host reconcile` asks of and does to the Docker Engine: the swarm this node is in
// (read, and `swarm init` when it is in none), a network (read, created), the names of swarm
// secrets. It never leaves or joins a swarm and never removes anything.
import type Docker from 'dockerode';
import { errorMessage } from '../model/errors.js';

export interface SwarmFacts {
  /** inactive | pending | active | error | locked (Docker's LocalNodeState) */
  state: string;
  /** The node is a manager. */
  manager: boolean;
  nodes: number;
  managers: number;
  nodeAddr: string;
  /** The address pools the swarm was initialised with (empty when Docker does not say). */
  addressPools: string[];
  error: string;
}

export interface NetworkFacts {
  driver: string;
  attachable: boolean;
  scope: string;
}

export interface SwarmInit {
  advertiseAddr: string;
  listenAddr: string;
  addressPool: string;
}

export interface HostDocker {
  /** Rejects when the Engine does not answer. */
  swarm(): Promise<SwarmFacts>;
  swarmInit(init: SwarmInit): Promise<void>;
  /** undefined when there is no network of that name. */
  network(name: string): Promise<NetworkFacts | undefined>;
  createOverlayNetwork(name: string): Promise<void>;
  /** The names of the swarm's secrets. */
  secretNames(): Promise<string[]>;
}

interface RawSwarmInfo {
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  Nodes?: number;
  Managers?: number;
  NodeAddr?: string;
  Error?: string;
  Cluster?: { DefaultAddrPool?: string[] };
}

/** Each call to the Engine (swarm init included, which answers within seconds). */
const CALL_TIMEOUT_MS = 60_000;

export function createHostDocker(api: Docker): HostDocker {
  // A hung daemon is an answer too ("no answer within"), never a hang of reconcile.
  const call = async <T>(what: string, op: () => Promise<T>): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${CALL_TIMEOUT_MS / 1000} s`)), CALL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([op(), late]);
    } catch (err) {
      throw Object.assign(new Error(`${what}: ${errorMessage(err)}`), {
        statusCode: (err as { statusCode?: number }).statusCode,
      });
    } finally {
      clearTimeout(timer);
    }
  };
  return {
    async swarm() {
      const info = (await call('docker info', () => api.info())) as { Swarm?: RawSwarmInfo };
      const s = info.Swarm ?? {};
      return {
        state: s.LocalNodeState || 'unknown',
        manager: s.ControlAvailable === true,
        nodes: s.Nodes ?? 0,
        managers: s.Managers ?? 0,
        nodeAddr: s.NodeAddr ?? '',
        addressPools: s.Cluster?.DefaultAddrPool ?? [],
        error: s.Error ?? '',
      };
    },
    async swarmInit(init) {
      await call('docker swarm init', () =>
        api.swarmInit({
          AdvertiseAddr: init.advertiseAddr,
          ListenAddr: init.listenAddr,
          DefaultAddrPool: [init.addressPool],
        }),
      );
    },
    async network(name) {
      try {
        const n = (await call(`docker network inspect ${name}`, () => api.getNetwork(name).inspect())) as {
          Name?: string;
          Driver?: string;
          Attachable?: boolean;
          Scope?: string;
        };
        // The Engine also finds a network by an id prefix: only the name counts.
        if (n.Name !== undefined && n.Name !== name) return undefined;
        return { driver: n.Driver ?? '', attachable: n.Attachable === true, scope: n.Scope ?? '' };
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    },
    async createOverlayNetwork(name) {
      await call(`docker network create ${name}`, () =>
        api.createNetwork({ Name: name, Driver: 'overlay', Attachable: true, CheckDuplicate: true }),
      );
    },
    async secretNames() {
      const list = await call('docker secret ls', () => api.listSecrets());
      return list.map((s) => s.Spec?.Name ?? '').filter(Boolean);
    },
  };
}
