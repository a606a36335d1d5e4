// An in-memory SwarmApi for unit tests of stages, the runner and teardown. A test deploys
// services onto it (or lets the fake abra do so) and scripts how their tasks behave; the real
// convergence wait (src/docker/converge.ts) then reads services, tasks and events from it.
// `exec` into a service runs a tiny interpreter over the stack's one "volume", so the data
// marker of upgrade and backup really travels (seed, mutate, read, backup, restore).
import { CcciError, RecipeFailure } from '../../src/model/errors.js';
import type {
  DockerEvent,
  ExecOptions,
  ExecResult,
  RegistryReply,
  ServiceState,
  StackResources,
  SwarmApi,
  TaskState,
} from '../../src/docker/swarm-api.js';

/** How a service's tasks behave after a deploy. */
export type TaskBehaviour =
  | 'running' // every replica runs (after `startsAfterMs`)
  | 'failing' // every task exits with `taskError`: swarm gives up after six
  | 'pending' // no task is ever scheduled: only the deadline ends the wait
  | 'unpullable'; // the image is not on the node: each task is rejected `No such image: <image>`, a new one pending

export interface FakeServiceSpec {
  /** Compose name; the swarm service is `<stack>_<name>`. */
  name: string;
  labels?: Record<string, string>;
  image?: string;
  replicas?: number;
  /**
   * `update_config.monitor`: how long tasks must run before the stack counts as converged.
   * 0 by default so stage tests stay fast; converge-wait.test.ts covers the window itself.
   */
  monitorMs?: number;
  tasks?: TaskBehaviour;
  /** For `running`: the tasks are `starting` this long first (a healthcheck, say). */
  startsAfterMs?: number;
  /** For `failing`: what each task exited with. */
  taskError?: string;
  /** What `docker service logs` shows. */
  logs?: string;
}

/** The spec's `data:` commands the built-in exec interpreter understands ({{marker}} substituted). */
export const markerData = {
  service: 'app',
  seed: ['seed', '{{marker}}'],
  mutate: ['mutate', '{{marker}}'],
  read: ['read'],
};

type ExecHandler = (stack: string, service: string, cmd: string[]) => ExecResult | Promise<ExecResult>;

interface Generation {
  template: string;
  deployedAt: number;
}

interface FakeService {
  id: string;
  stack: string;
  spec: FakeServiceSpec;
  createdAt: number;
  generations: Generation[];
}

export interface SwarmCall {
  method: keyof SwarmApi;
  args: unknown[];
}

let nextId = 1;

export class FakeSwarm implements SwarmApi {
  /** Every call, in order (signals left out). */
  readonly calls: SwarmCall[] = [];
  private readonly byName = new Map<string, FakeService>();
  private readonly listeners = new Set<(e: DockerEvent) => void>();
  private readonly broken = new Map<keyof SwarmApi, unknown>();
  private readonly volumes = new Map<string, Map<string, string>>();
  private execHandler: ExecHandler | undefined;
  private readonly registryReplies = new Map<string, RegistryReply>();

  // ---- scripting ----

  /** `abra app deploy` as swarm sees it: each service created or updated to a new task template. */
  deploy(stack: string, specs: FakeServiceSpec[]): void {
    const now = Date.now();
    for (const spec of specs) {
      const name = `${stack}_${spec.name}`;
      const existing = this.byName.get(name);
      const svc = existing ?? { id: `svc${nextId++}`, stack, spec, createdAt: now, generations: [] };
      svc.spec = spec;
      svc.generations.push({ template: `${name}@${svc.generations.length + 1}`, deployedAt: now });
      this.byName.set(name, svc);
      const attributes = { name, 'com.docker.stack.namespace': stack };
      this.emit({ type: 'service', action: existing ? 'update' : 'create', attributes, time: now });
    }
  }

  /** Every service of the stack rolls to a new template (a restore restarts them), running after `startsAfterMs`. */
  restart(stack: string, startsAfterMs = 0): void {
    this.deploy(
      stack,
      this.stackServices(stack).map((s) => ({ ...s.spec, startsAfterMs })),
    );
  }

  /** The stack's data, as the built-in exec commands see it. */
  volume(stack: string): Map<string, string> {
    let v = this.volumes.get(stack);
    if (!v) this.volumes.set(stack, (v = new Map()));
    return v;
  }

  /** What askRegistry answers about an image (by default: the registry has it). */
  registry(image: string, reply: RegistryReply): void {
    this.registryReplies.set(image, reply);
  }

  /** Replaces the built-in exec interpreter. */
  onExec(handler: ExecHandler): void {
    this.execHandler = handler;
  }

  /** From now on every call of `method` throws `err` (Docker went away, say). */
  breakWith(method: keyof SwarmApi, err: unknown): void {
    this.broken.set(method, err);
  }

  /** `method` answers again (Docker is back). */
  mend(method: keyof SwarmApi): void {
    this.broken.delete(method);
  }

  /** The labels a service of the stack carries now. */
  labels(stack: string, service: string): Record<string, string> | undefined {
    return this.byName.get(`${stack}_${service}`)?.spec.labels;
  }

  /** The commands exec'd into services, in order. */
  execs(): string[][] {
    return this.calls.filter((c) => c.method === 'execInService').map((c) => c.args[2] as string[]);
  }

  /** How often a method was called. */
  count(method: keyof SwarmApi): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  // ---- SwarmApi ----

  async services(stack: string): Promise<ServiceState[]> {
    this.enter('services', [stack]);
    const now = Date.now();
    return this.stackServices(stack).map((s) => this.stateOf(s, now));
  }

  async tasks(serviceIds: string[]): Promise<TaskState[]> {
    this.enter('tasks', [serviceIds]);
    const now = Date.now();
    return [...this.byName.values()].filter((s) => serviceIds.includes(s.id)).flatMap((s) => this.tasksOf(s, now));
  }

  async events(signal: AbortSignal, onEvent: (e: DockerEvent) => void): Promise<void> {
    this.enter('events', []);
    if (signal.aborted) return;
    this.listeners.add(onEvent);
    signal.addEventListener('abort', () => this.listeners.delete(onEvent), { once: true });
  }

  async resources(stack: string): Promise<StackResources> {
    this.enter('resources', [stack]);
    const volumes = this.volumes.has(stack) ? [`${stack}_data`] : [];
    const services = this.stackServices(stack).map((s) => this.nameOf(s));
    return { services, containers: [], networks: [], volumes, secrets: [], configs: [] };
  }

  async stacks(): Promise<Map<string, number>> {
    this.enter('stacks', []);
    const out = new Map<string, number>();
    for (const s of this.byName.values()) out.set(s.stack, Math.min(out.get(s.stack) ?? Infinity, s.createdAt));
    return out;
  }

  async execInService(stack: string, service: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.enter('execInService', [stack, service, cmd]);
    const name = `${stack}_${service}`;
    if (opts.signal?.aborted) throw new CcciError('CANCELLED', `${cmd[0]} in ${name}: stopped`);
    const svc = this.byName.get(name);
    if (!svc || !this.tasksOf(svc, Date.now()).some((t) => t.state === 'running' && t.desiredState === 'running')) {
      // As SwarmDocker says it: the spec names a service the recipe does not run.
      const what = JSON.stringify(cmd[0]);
      throw new RecipeFailure('RECIPE_BROKEN', `no running container of service ${name} to run ${what} in`);
    }
    return this.execHandler ? this.execHandler(stack, service, cmd) : this.interpret(stack, cmd);
  }

  async execInNamedService(name: string, cmd: string[], opts: ExecOptions = {}): Promise<ExecResult> {
    this.enter('execInNamedService', [name, cmd]);
    if (opts.signal?.aborted) throw new CcciError('CANCELLED', `${cmd[0]} in ${name}: stopped`);
    throw new CcciError('DOCKER_FAILED', `no running container of service ${name} to run ${JSON.stringify(cmd[0])} in`);
  }

  async servicesLabelled(label: string, value: string): Promise<Array<{ name: string; running: number }>> {
    this.enter('servicesLabelled', [label, value]);
    const now = Date.now();
    return [...this.byName.values()]
      .filter((s) => s.spec.labels?.[label] === value)
      .map((s) => ({ name: this.nameOf(s), running: this.stateOf(s, now).running }));
  }

  async serviceLogs(service: string): Promise<string> {
    this.enter('serviceLogs', [service]);
    return this.byName.get(service)?.spec.logs ?? '';
  }

  async serviceImages(stack: string): Promise<Array<{ service: string; image: string; digest?: string }>> {
    this.enter('serviceImages', [stack]);
    return this.stackServices(stack).map((s) => ({ service: s.spec.name, image: s.spec.image ?? 'nginx:1.27.2' }));
  }

  async askRegistry(image: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RegistryReply> {
    this.enter('askRegistry', [image, { timeoutMs: opts.timeoutMs }]);
    return this.registryReplies.get(image) ?? { answer: 'has-it', message: `the registry serves ${image}` };
  }

  async removeServices(names: string[]): Promise<void> {
    this.enter('removeServices', [names]);
    for (const n of names) this.byName.delete(n);
  }

  async removeContainers(names: string[]): Promise<void> {
    this.enter('removeContainers', [names]);
  }

  async removeVolumes(names: string[]): Promise<void> {
    this.enter('removeVolumes', [names]);
    for (const n of names) this.volumes.delete(n.replace(/_data$/, ''));
  }

  async removeSecrets(names: string[]): Promise<void> {
    this.enter('removeSecrets', [names]);
  }

  async removeConfigs(names: string[]): Promise<void> {
    this.enter('removeConfigs', [names]);
  }

  async removeNetworks(names: string[]): Promise<void> {
    this.enter('removeNetworks', [names]);
  }

  // ---- inside ----

  private enter(method: keyof SwarmApi, args: unknown[]): void {
    this.calls.push({ method, args });
    if (this.broken.has(method)) throw this.broken.get(method);
  }

  private emit(e: DockerEvent): void {
    for (const l of this.listeners) l(e);
  }

  private stackServices(stack: string): FakeService[] {
    return [...this.byName.values()].filter((s) => s.stack === stack);
  }

  private nameOf(s: FakeService): string {
    return `${s.stack}_${s.spec.name}`;
  }

  private current(s: FakeService): Generation {
    return s.generations[s.generations.length - 1]!;
  }

  private stateOf(s: FakeService, now: number): ServiceState {
    const gen = this.current(s);
    const running = this.tasksOf(s, now).filter((t) => t.state === 'running' && t.template === gen.template).length;
    return {
      id: s.id,
      name: this.nameOf(s),
      createdAt: new Date(s.createdAt).toISOString(),
      labels: { ...s.spec.labels },
      running,
      desired: s.spec.replicas ?? 1,
      // After a redeploy swarm reports the rolling update as completed.
      updateState: s.generations.length > 1 ? 'completed' : undefined,
      monitorMs: s.spec.monitorMs ?? 0,
      template: gen.template,
    };
  }

  /** The tasks as swarm would list them at `now`: old generations shut down, the current as scripted. */
  private tasksOf(s: FakeService, now: number): TaskState[] {
    const tasks: TaskState[] = [];
    const at = (ms: number) => new Date(ms).toISOString();
    s.generations.forEach((gen, g) => {
      const replicas = s.spec.replicas ?? 1;
      const id = (i: number, suffix = '') => `${s.id}.${g + 1}.${i}${suffix}`;
      const base = { serviceId: s.id, template: gen.template, message: '', timestamp: at(gen.deployedAt) };
      for (let i = 0; i < replicas; i++) {
        if (g < s.generations.length - 1) {
          tasks.push({ ...base, id: id(i), state: 'shutdown', desiredState: 'shutdown' });
          continue;
        }
        const behaviour = s.spec.tasks ?? 'running';
        if (behaviour === 'pending') {
          tasks.push({ ...base, id: id(i), state: 'pending', desiredState: 'running', message: 'pending' });
        } else if (behaviour === 'unpullable') {
          const error = `No such image: ${s.spec.image ?? 'nginx:1.27.2'}`;
          tasks.push({
            ...base,
            id: id(i, 'r'),
            state: 'rejected',
            desiredState: 'shutdown',
            message: 'preparing',
            error,
          });
          const next = { ...base, timestamp: at(gen.deployedAt + 1) };
          tasks.push({ ...next, id: id(i), state: 'pending', desiredState: 'running', message: 'pending' });
        } else if (behaviour === 'failing') {
          for (let f = 0; f < 6; f++) {
            tasks.push({
              ...base,
              id: id(i, `f${f}`),
              state: 'failed',
              desiredState: 'shutdown',
              message: 'started',
              error: s.spec.taskError ?? 'task: non-zero exit (1)',
              timestamp: at(gen.deployedAt + f),
            });
          }
        } else {
          const runsAt = gen.deployedAt + (s.spec.startsAfterMs ?? 0);
          const state = now >= runsAt ? 'running' : 'starting';
          const since = at(Math.min(now, runsAt));
          tasks.push({ ...base, id: id(i), state, desiredState: 'running', message: state, timestamp: since });
        }
      }
    });
    return tasks;
  }

  /** seed <v> writes the marker, mutate <v> changes it, read prints it: enough for data specs. */
  private interpret(stack: string, cmd: string[]): ExecResult {
    const data = this.volume(stack);
    const [verb, value] = cmd;
    if (verb === 'seed' && value) {
      data.set('marker', value);
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    if (verb === 'mutate') {
      data.set('marker', `changed-${Date.now()}`);
      return { exitCode: 0, stdout: '', stderr: '' };
    }
    if (verb === 'read') {
      const v = data.get('marker');
      return v === undefined
        ? { exitCode: 1, stdout: '', stderr: 'cat: /data/marker: No such file or directory' }
        : { exitCode: 0, stdout: `${v}\n`, stderr: '' };
    }
    return { exitCode: 127, stdout: '', stderr: `exec: ${JSON.stringify(verb)}: executable file not found in $PATH` };
  }
}
