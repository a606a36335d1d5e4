// The Docker Engine adapter: the only place that speaks to Docker (through dockerode). It reads
// a stack's services and tasks, streams events, finds and removes what a stack left behind.
// Failures carry what happened (the Engine unreachable, an error answer, an exec that broke, no
// container to exec in); whose fault that is, src/model/blame.ts decides.
import Docker from 'dockerode';
import { CcciError, errorMessage, FactError } from '../model/errors.js';
import { readRegistryAnswer } from './registry-answer.js';
import type {
  DockerEvent,
  ExecOptions,
  ExecResult,
  RegistryReply,
  ServiceState,
  StackResources,
  SwarmApi,
  TaskState,
} from './swarm-api.js';

/** How long a command in a service (the spec's data commands, custom checks' exec) may take. */
export const EXEC_TIMEOUT_MS = 120_000;

export const STACK_LABEL = 'com.docker.stack.namespace';

export function connectDocker(dockerHost: string): Docker {
  const url = new URL(dockerHost);
  if (url.protocol === 'unix:') return new Docker({ socketPath: url.pathname });
  if (url.protocol === 'tcp:' || url.protocol === 'http:')
    return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
  throw new CcciError(
    'CONFIG_INVALID',
    `swarm.dockerHost: unsupported ${dockerHost} (use unix:///path or tcp://host:port)`,
  );
}

export class SwarmDocker implements SwarmApi {
  constructor(readonly api: Docker) {}

  async services(stack: string): Promise<ServiceState[]> {
    const list = await this.call('listing services', () =>
      this.api.listServices({ status: true, filters: { label: [`${STACK_LABEL}=${stack}`] } }),
    );
    return list.map((s) => ({
      id: s.ID,
      name: s.Spec?.Name ?? s.ID,
      createdAt: s.CreatedAt ?? '',
      labels: (s.Spec?.Labels ?? {}) as Record<string, string>,
      running: s.ServiceStatus?.RunningTasks ?? 0,
      desired: s.ServiceStatus?.DesiredTasks ?? 0,
      updateState: s.UpdateStatus?.State,
      updateMessage: s.UpdateStatus?.Message,
      // Docker reports durations in nanoseconds.
      monitorMs: s.Spec?.UpdateConfig?.Monitor ? s.Spec.UpdateConfig.Monitor / 1e6 : undefined,
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
      this.api.getEvents({
        filters: { type: ['service', 'container'] },
        abortSignal: signal,
      } as Docker.GetEventsOptions),
    );
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
    stream.on('error', () => {
      /* aborted or daemon gone: the poll timer carries on */
    });
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
    const named = (items: Array<{ Spec?: { Name?: string; Labels?: Record<string, string> } }>) =>
      items
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
  async execInService(stack: string, service: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    // A service of the app's own stack, as the spec or a check names it.
    return this.execIn(`${stack}_${service}`, cmd, opts, true);
  }

  /** Runs a command (argument array, no shell) in a running container of the service with this full name. */
  async execInNamedService(name: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.execIn(name, cmd, opts, false);
  }

  /** The services labelled `label=value`, with how many of their tasks run. */
  async servicesLabelled(label: string, value: string): Promise<Array<{ name: string; running: number }>> {
    const list = await this.call('listing services', () =>
      this.api.listServices({ status: true, filters: { label: [`${label}=${value}`] } }),
    );
    return list.map((s) => ({ name: s.Spec?.Name ?? s.ID, running: s.ServiceStatus?.RunningTasks ?? 0 }));
  }

  private async execIn(name: string, cmd: string[], opts: ExecOptions, ofTheApp: boolean): Promise<ExecResult> {
    const { timeoutMs = EXEC_TIMEOUT_MS, signal } = opts;
    if (signal?.aborted) throw new CcciError('CANCELLED', `${cmd[0]} in ${name}: stopped`);
    const containers = await this.call('listing containers', () =>
      this.api.listContainers({
        filters: { label: [`com.docker.swarm.service.name=${name}`], status: ['running'] },
      }),
    );
    const id = containers[0]?.Id;
    if (!id) {
      const fact = { source: 'docker', what: 'no-container', service: name, ofTheApp } as const;
      throw new FactError(fact, `no running container of service ${name} to run ${JSON.stringify(cmd[0])} in`);
    }
    const exec = await this.call('creating an exec', () =>
      this.api.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true }),
    );
    const stream = await this.call('starting an exec', () => exec.start({ hijack: true, stdin: false }));
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const sink = (into: Buffer[]) =>
      ({
        write: (c: Buffer) => {
          into.push(c);
          return true;
        },
      }) as unknown as NodeJS.WritableStream;
    this.api.modem.demuxStream(stream, sink(stdout), sink(stderr));
    await new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        stream.destroy();
        finish(
          new CcciError('DEADLINE', `${cmd[0]} in ${name} did not finish within ${Math.round(timeoutMs / 1000)} s`),
        );
      }, timeoutMs);
      // A stopped run does not wait for the command: the stream is cut and teardown removes the container.
      const onAbort = () => {
        stream.destroy();
        finish(new CcciError('CANCELLED', `${cmd[0]} in ${name}: stopped`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      stream.on('end', () => finish());
      stream.on('close', () => finish());
      const execFailed = { source: 'docker', what: 'exec-failed' } as const;
      stream.on('error', (err) =>
        finish(
          new CcciError('DOCKER_FAILED', `exec of ${cmd[0]} in ${name} broke: ${errorMessage(err)}`, {
            cause: err,
            fact: execFailed,
          }),
        ),
      );
    });
    const info = await this.call('inspecting an exec', () => exec.inspect());
    return {
      exitCode: info.ExitCode ?? -1,
      stdout: Buffer.concat(stdout).toString('utf8'),
      stderr: Buffer.concat(stderr).toString('utf8'),
    };
  }

  /**
   * `docker service logs --tail <tail> <service>` (full name `<stack>_<svc>`), stdout and stderr
   * together, oldest line first. The logs of dead tasks are included as long as swarm keeps the
   * task (its task history, 5 by default), so a crash-looping container's last words are here.
   * As with the CLI, `tail` counts per task. A missing service gives ''.
   */
  async serviceLogs(
    service: string,
    opts: { tail: number; signal?: AbortSignal; timeoutMs?: number },
  ): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? 15_000;
    const abortSignal = AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
    let raw: unknown;
    try {
      raw = await this.api.getService(service).logs({
        // The tasks' logs arrive in no particular order (a different one per call); the
        // timestamps are only asked for to sort by, and are removed again.
        stdout: true,
        stderr: true,
        tail: opts.tail,
        timestamps: true,
        follow: false,
        abortSignal,
      } as Docker.ContainerLogsOptions);
      // Typed as a stream, but without follow docker-modem buffers the whole body and hands
      // over a Buffer (or, were the body valid JSON, the parsed value; with timestamps it never is).
      if (isReadable(raw)) raw = await readAll(raw, abortSignal);
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return '';
      if (opts.signal?.aborted)
        throw new CcciError('CANCELLED', `reading the logs of ${service}: stopped`, { cause: err });
      if (abortSignal.aborted)
        throw new CcciError(
          'DEADLINE',
          `reading the logs of ${service} did not finish within ${Math.round(timeoutMs / 1000)} s`,
          { cause: err },
        );
      throw engineFailed(`Docker Engine: reading the logs of ${service} failed: ${errorMessage(err)}`, err);
    }
    if (Buffer.isBuffer(raw)) return chronologicalLogs(raw);
    if (raw === undefined || raw === null) return '';
    return typeof raw === 'string' ? raw : JSON.stringify(raw);
  }

  /**
   * The image each service of the stack runs: the reference of its task template without the
   * `@sha256:` pin, and the pinned digest, or else the local image's id (images built on the
   * testbed have no repository digest). A reference with no local image has no digest.
   */
  async serviceImages(stack: string): Promise<Array<{ service: string; image: string; digest?: string }>> {
    const list = await this.call('listing services', () =>
      this.api.listServices({ filters: { label: [`${STACK_LABEL}=${stack}`] } }),
    );
    const prefix = `${stack}_`;
    const out = await Promise.all(
      list.map(async (s) => {
        const name = s.Spec?.Name ?? s.ID;
        const ref =
          (s.Spec?.TaskTemplate as { ContainerSpec?: { Image?: string } } | undefined)?.ContainerSpec?.Image ?? '';
        const at = ref.indexOf('@');
        const image = at >= 0 ? ref.slice(0, at) : ref;
        let digest = at >= 0 ? ref.slice(at + 1) : undefined;
        if (!digest && image) {
          try {
            digest = (await this.api.getImage(image).inspect()).Id;
          } catch (err) {
            if ((err as { statusCode?: number }).statusCode !== 404) {
              throw engineFailed(`Docker Engine: inspecting image ${image} failed: ${errorMessage(err)}`, err);
            }
          }
        }
        return {
          service: name.startsWith(prefix) ? name.slice(prefix.length) : name,
          image,
          ...(digest ? { digest } : {}),
        };
      }),
    );
    return out.sort((a, b) => a.service.localeCompare(b.service));
  }

  async removeServices(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getService(n).remove())));
  }

  async removeContainers(names: string[]): Promise<void> {
    await Promise.all(
      names.map((n) => this.ignoreMissing(() => this.api.getContainer(n).remove({ force: true, v: false }))),
    );
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

  /**
   * `GET /distribution/<image>/json`: the Engine fetches the image's manifest from its registry
   * (as `docker stack deploy` does to pin a digest) and passes the registry's error on. No
   * credentials are sent. The registry may hold the request for minutes: the time limit ends it.
   */
  async askRegistry(image: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RegistryReply> {
    const limit = new AbortController();
    const timer = setTimeout(() => limit.abort(), opts.timeoutMs);
    const stop = () => limit.abort();
    opts.signal?.addEventListener('abort', stop, { once: true });
    try {
      await new Promise<unknown>((resolve, reject) => {
        this.api.modem.dial(
          {
            path: `/distribution/${image}/json`,
            method: 'GET',
            statusCodes: { 200: true },
            abortSignal: limit.signal,
          } as Parameters<typeof this.api.modem.dial>[0],
          (err: unknown, data: unknown) => (err ? reject(err) : resolve(data)),
        );
      });
      return { answer: 'has-it', message: `the registry serves ${image}` };
    } catch (err) {
      if (opts.signal?.aborted) throw new CcciError('CANCELLED', `asking the registry about ${image}: stopped`);
      if (limit.signal.aborted)
        return {
          answer: 'no-answer',
          message: `the registry did not answer within ${Math.round(opts.timeoutMs / 1000)} s`,
        };
      const status = (err as { statusCode?: number }).statusCode;
      if (status === undefined)
        throw engineFailed(`Docker Engine: asking about image ${image} failed: ${errorMessage(err)}`, err);
      const json = (err as { json?: { message?: unknown } }).json;
      const message = typeof json?.message === 'string' ? json.message : errorMessage(err);
      return { answer: readRegistryAnswer(status, message), message, status };
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  async removeNetworks(names: string[]): Promise<void> {
    await Promise.all(names.map((n) => this.ignoreMissing(() => this.api.getNetwork(n).remove())));
  }

  private async ignoreMissing(op: () => Promise<unknown>): Promise<void> {
    try {
      await op();
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return;
      throw engineFailed(errorMessage(err), err);
    }
  }

  private async call<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw engineFailed(`Docker Engine: ${what} failed: ${errorMessage(err)}`, err);
    }
  }
}

/** DOCKER_FAILED, with whether the Engine could not be reached at all or answered with an error. */
export function engineFailed(message: string, err: unknown): CcciError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const unreachable = [
    'ENOENT',
    'ECONNREFUSED',
    'EACCES',
    'EHOSTUNREACH',
    'ENOTFOUND',
    'ETIMEDOUT',
    'ECONNRESET',
  ].includes(code);
  const what = unreachable ? 'unreachable' : 'engine-error';
  return new CcciError('DOCKER_FAILED', message, { cause: err, fact: { source: 'docker', what } });
}

interface RawTask {
  ID: string;
  ServiceID: string;
  DesiredState?: string;
  Spec?: Record<string, unknown>;
  Status?: {
    State?: string;
    Message?: string;
    Err?: string;
    Timestamp?: string;
    ContainerStatus?: { ContainerID?: string };
  };
}

function parseEvent(line: string): DockerEvent | undefined {
  try {
    const raw = JSON.parse(line) as {
      Type?: string;
      Action?: string;
      Actor?: { Attributes?: Record<string, string> };
      timeNano?: number;
      time?: number;
    };
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

/**
 * Text of a log body in Docker's multiplexed format (no TTY): frames of an 8-byte header
 * (stream type 0/1/2, three zero bytes, big-endian payload length) and the payload. Frames stay
 * in order, so stdout and stderr interleave as they were written. A body that is not framed
 * (a TTY service) is returned as it is; a truncated last frame keeps what arrived.
 */
export function demuxLogs(body: Buffer): string {
  return Buffer.concat(logFrames(body)).toString('utf8');
}

/**
 * Text of a log body fetched with timestamps (multiplexed or not), its entries sorted by their
 * timestamps (stable, so entries of one instant keep their order) and the timestamps removed.
 */
export function chronologicalLogs(body: Buffer): string {
  const framed = isFrameHeader(body, 0);
  // One frame is one log entry; unframed (TTY) text has one entry per line.
  const pieces = framed ? logFrames(body) : splitLines(body);
  const entries: Array<{ key: string; parts: Buffer[] }> = [];
  for (const piece of pieces) {
    const stamp = TIMESTAMP.exec(piece.subarray(0, 40).toString('latin1'));
    if (stamp) entries.push({ key: sortKey(stamp[1]!), parts: [piece.subarray(stamp[0].length)] });
    // Without a timestamp it continues the entry before (a message split over frames).
    else if (entries.length > 0) entries.at(-1)!.parts.push(piece);
    else entries.push({ key: '', parts: [piece] });
  }
  entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return entries.map((e) => Buffer.concat(e.parts).toString('utf8')).join('');
}

// Docker writes RFC3339Nano with nine fraction digits; a shorter fraction is padded to compare.
const TIMESTAMP = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,9})?Z) /;

function sortKey(stamp: string): string {
  const [whole, fraction = ''] = stamp.slice(0, -1).split('.');
  return `${whole}.${fraction.padEnd(9, '0')}`;
}

function logFrames(body: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    if (!isFrameHeader(body, at)) {
      // Not (or no longer) framed: the rest is plain text.
      frames.push(body.subarray(at));
      break;
    }
    const size = body.readUInt32BE(at + 4);
    frames.push(body.subarray(at + 8, Math.min(body.length, at + 8 + size)));
    at += 8 + size;
  }
  return frames;
}

function splitLines(body: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let at = 0;
  while (at < body.length) {
    const nl = body.indexOf(0x0a, at);
    const end = nl < 0 ? body.length : nl + 1;
    lines.push(body.subarray(at, end));
    at = end;
  }
  return lines;
}

function isFrameHeader(body: Buffer, at: number): boolean {
  return body.length - at >= 8 && body[at]! <= 2 && body[at + 1] === 0 && body[at + 2] === 0 && body[at + 3] === 0;
}

function isReadable(value: unknown): value is NodeJS.ReadableStream {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { on?: unknown }).on === 'function' &&
    !Buffer.isBuffer(value)
  );
}

async function readAll(stream: NodeJS.ReadableStream, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const destroy = () => (stream as unknown as { destroy?: (e?: Error) => void }).destroy?.(new Error('aborted'));
  signal.addEventListener('abort', destroy, { once: true });
  try {
    for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  } finally {
    signal.removeEventListener('abort', destroy);
  }
  return Buffer.concat(chunks);
}
