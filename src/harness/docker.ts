// The Docker Engine adapter: the only place that speaks to Docker (through dockerode). It reads
// a stack's services and tasks, streams events, finds and removes what a stack left behind.
import Docker from 'dockerode';
import { CcciError, errorMessage } from '../errors.js';

export const STACK_LABEL = 'com.docker.stack.namespace';

export interface ServiceState {
  id: string;
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  running: number;
  desired: number;
  updateState?: string;
  updateMessage?: string;
  /** The task template tasks must carry to be up to date (JSON, comparable with TaskState.template). */
  template: string;
}

export interface TaskState {
  id: string;
  serviceId: string;
  state: string;
  desiredState: string;
  message: string;
  error?: string;
  timestamp: string;
  containerId?: string;
  template: string;
}

/** Everything of a stack still on the swarm, by kind; names only. */
export interface StackResources {
  services: string[];
  containers: string[];
  networks: string[];
  volumes: string[];
  secrets: string[];
  configs: string[];
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface DockerEvent {
  type: string;
  action: string;
  attributes: Record<string, string>;
  /** Milliseconds since the epoch, from the event's timeNano. */
  time: number;
}

export function connectDocker(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:') return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
  throw new CcciError('CONFIG_INVALID', `swarm.dockerHost: unsupported ${dockerHost} (use unix:///path or tcp://host:port)`);
}

export class SwarmDocker {
  constructor(readonly api: Docker) {}

  async services(stack: string): Promise<ServiceState[]> {
    const list = await this.call('listing services', () => this.api.listServices({ status: true, filters: { label: [`${STACK_LABEL}=${stack}`] } }));
    return list.map((s) => ({
      id: s.ID,
      name: s.Spec?.Name ?? s.ID,
      createdAt: s.CreatedAt ?? '',
      labels: (s.Spec?.Labels ?? {}) as Record<string, string>,
      running: s.ServiceStatus?.RunningTasks ?? 0,
      desired: s.ServiceStatus?.DesiredTasks ?? 0,
      updateState: s.UpdateStatus?.State,
      updateMessage: s.UpdateStatus?.Message,
      // The service view adds a defaulted Runtime the task copy lacks; everything else matches.
      template: JSON.stringify({ ...s.Spec?.TaskTemplate, Runtime: undefined }),
    }));
  }

  async tasks(serviceIds: string[]): Promise<TaskState[]> {
    if (serviceIds.length === 0) return [];
    const list = await this.call('listing tasks', () => this.api.listTasks({ filters: { service: serviceIds } }));
    return (list as RawTask[]).map((t) => ({
      id: t.ID,
      serviceId: t.ServiceID,
      state: t.Status?.State ?? 'unknown',
      desiredState: t.DesiredState ?? '',
      message: t.Status?.Message ?? '',
      error: t.Status?.Err,
      timestamp: t.Status?.Timestamp ?? '',
      containerId: t.Status?.ContainerStatus?.ContainerID,
      template: JSON.stringify({ ...t.Spec, Runtime: undefined }),
    }));
  }

  /** Service and container events until the signal aborts. */
  async events(signal: AbortSignal, onEvent: (e: DockerEvent) => void): Promise<void> {
    const stream = await this.call('subscribing to events', () =>
      this.api.getEvents({ filters: { type: ['service', 'container'] }, abortSignal: signal } as Docker.GetEventsOptions));
    let buffer = '';
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const e = parseEvent(line);
        if (e) onEvent(e);
      }
    });
    stream.on('error', () => { /* aborted or daemon gone: the poll timer carries on */ });
    signal.addEventListener('abort', () => (stream as unknown as { destroy?: () => void }).destroy?.(), { once: true });
  }

  /** What of the stack is left: by the stack label, and secrets and configs also by name prefix. */
  async resources(stack: string): Promise<StackResources> {
    const label = { label: [`${STACK_LABEL}=${stack}`] };
    const prefix = `${stack}_`;
    const [services, containers, networks, volumes, secrets, configs] = await Promise.all([
      this.call('listing services', () => this.api.listServices({ filters: label })),
      this.call('listing containers', () => this.api.listContainers({ all: true, filters: label })),
      this.call('listing networks', () => this.api.listNetworks({ filters: label })),
      this.call('listing volumes', () => this.api.listVolumes({ filters: label })),
      this.call('listing secrets', () => this.api.listSecrets({})),
      this.call('listing configs', () => this.api.listConfigs({})),
    ]);
    const named = (items: Array<{ Spec?: { Name?: string; Labels?: Record<string, string> } }>) => items
      .filter((i) => i.Spec?.Labels?.[STACK_LABEL] === stack || (i.Spec?.Name ?? '').startsWith(prefix))
      .map((i) => i.Spec?.Name ?? '');
    return {
      services: services.map((s) => s.Spec?.Name ?? s.ID),
      containers: containers.map((c) => c.Names?.[0]?.replace(/^\//, '') ?? c.Id),
      networks: networks.map((n) => n.Name),
      volumes: (volumes.Volumes ?? []).map((v) => v.Name),
      secrets: named(secrets as never),
      configs: named(configs as never),
    };
  }

  /** Every stack namespace that has anything on the swarm, with the oldest creation time seen. */
  async stacks(): Promise<Map<string, number>> {
    const seen = new Map<string, number>();
    const note = (labels: Record<string, string> | undefined, created: string | undefined) => {
      const stack = labels?.[STACK_LABEL];
      if (!stack) return;
      const t = created ? Date.parse(created) : Date.now();
      seen.set(stack, Math.min(seen.get(stack) ?? Infinity, Number.isNaN(t) ? Date.now() : t));
    };
    const [services, volumes, secrets, networks] = await Promise.all([
      this.call('listing services', () => this.api.listServices({})),
      this.call('listing volumes', () => this.api.listVolumes({})),
      this.call('listing secrets', () => this.api.listSecrets({})),
      this.call('listing networks', () => this.api.listNetworks({})),
    ]);
    for (const s of services) note(s.Spec?.Labels as Record<string, string>, s.CreatedAt);
    for (const v of volumes.Volumes ?? []) note(v.Labels ?? undefined, (v as { CreatedAt?: string }).CreatedAt);
    for (const s of secrets) note(s.Spec?.Labels as Record<string, string>, s.CreatedAt);
    for (const n of networks) note(n.Labels, n.Created);
    return seen;
  }

  /** Runs a command (argument array, no shell) in a running container of `<stack>_<service>`. */
  async execInService(stack: string, service: string, cmd: string[], timeoutMs = 120_000): Promise<ExecResult> {
    const name = `${stack}_${service}`;
    const containers = await this.call('listing containers', () => this.api.listContainers({
      filters: { label: [`com.docker.swarm.service.name=${name}`], status: ['running'] },
    }));
    const id = containers[0]?.Id;
    // A spec naming a service the recipe does not have (or one that is down) is the recipe's problem.
    if (!id) throw new CcciError('RECIPE_INVALID', `no running container of service ${name} to run ${JSON.stringify(cmd[0])} in`);
    const exec = await this.call('creating an exec', () => this.api.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }));
    const stream = await this.call('starting an exec', () => exec.start({ hijack: true, stdin: false }));
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const sink = (into: Buffer[]) => ({ write: (c: Buffer) => { into.push(c); return true; } }) as unknown as NodeJS.WritableStream;
    this.api.modem.demuxStream(stream, sink(stdout), sink(stderr));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => { stream.destroy(); reject(new CcciError('DEADLINE', `${cmd[0]} in ${name} did not finish within ${Math.round(timeoutMs / 1000)} s`)); }, timeoutMs);
      stream.on('end', () => { clearTimeout(timer); resolve(); });
      stream.on('close', () => { clearTimeout(timer); resolve(); });
      stream.on('error', (err) => { clearTimeout(timer); reject(err); });
    });
    const info = await this.call('inspecting an exec', () => exec.inspect());
    return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
  }

  async removeServices(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getService(n).remove())));
  }

  async removeContainers(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getContainer(n).remove({ force: true, v: false }))));
  }

  async removeVolumes(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getVolume(n).remove())));
  }

  async removeSecrets(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getSecret(n).remove())));
  }

  async removeConfigs(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getConfig(n).remove())));
  }

  async removeNetworks(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getNetwork(n).remove())));
  }

  private async ignoreMissing(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw new CcciError('DOCKER_FAILED', errorMessage(err), { cause: err });
    }
  }

  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw new CcciError('DOCKER_FAILED', `Docker Engine: ${what} failed: ${errorMessage(err)}`, { cause: err });
    }
  }
}

interface RawTask {
  ID: string;
  ServiceID: string;
  DesiredState?: string;
  Spec?: Record<string, unknown>;
  Status?: { State?: string; Message?: string; Err?: string; Timestamp?: string; ContainerStatus?: { ContainerID?: string } };
}

function parseEvent(line: string): DockerEvent | undefined {
  try {
    const raw = JSON.parse(line) as { Type?: string; Action?: string; Actor?: { Attributes?: Record<string, string> }; timeNano?: number; time?: number };
    return {
      type: raw.Type ?? '',
      action: raw.Action ?? '',
      attributes: raw.Actor?.Attributes ?? {},
      time: raw.timeNano ? Math.floor(raw.timeNano / 1e6) : (raw.time ?? 0) * 1000,
    };
  } catch {
    return undefined;
  }
}
