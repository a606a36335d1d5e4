// What cc-ci needs from the Docker Engine, as an interface: SwarmDocker (docker.ts) is the real
// one; unit tests of the runner, stages and teardown hand in a fake.
import type { RegistryAnswer } from '../model/errors.js';

export interface ServiceState {
  id: string;
  name: string;
  createdAt: string;
  labels: Record<string, string>;
  running: number;
  desired: number;
  updateState?: string;
  updateMessage?: string;
  /** The service's `update_config.monitor` in ms, when the spec sets one. */
  monitorMs?: number;
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

export interface ExecOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** What an image's registry answered when asked for the image's manifest. */
export interface RegistryReply {
  answer: RegistryAnswer;
  /** The registry's own words (or the connection's error), as the Engine passed them on. */
  message: string;
  /** The Engine's HTTP status, when it answered. */
  status?: number;
}

export interface SwarmApi {
  services(stack: string): Promise<ServiceState[]>;
  tasks(serviceIds: string[]): Promise<TaskState[]>;
  /** Service and container events until the signal aborts. */
  events(signal: AbortSignal, onEvent: (e: DockerEvent) => void): Promise<void>;
  /** What of the stack is left: by the stack label, and secrets and configs also by name prefix. */
  resources(stack: string): Promise<StackResources>;
  /** Every stack namespace that has anything on the swarm, with the oldest creation time seen. */
  stacks(): Promise<Map<string, number>>;
  /** Runs a command (argument array, no shell) in a running container of `<stack>_<service>`. */
  execInService(stack: string, service: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** The same in a service named in full (the backup bot's); DOCKER_FAILED when none of its containers runs. */
  execInNamedService(name: string, cmd: string[], opts?: ExecOptions): Promise<ExecResult>;
  /** The services labelled `label=value` (the backup bot), with how many of their tasks run. */
  servicesLabelled(label: string, value: string): Promise<Array<{ name: string; running: number }>>;
  /** The tail of a service's log (by full name), dead tasks included. */
  serviceLogs(service: string, opts: { tail: number; signal?: AbortSignal; timeoutMs?: number }): Promise<string>;
  /** The image each service of the stack runs, with its digest. */
  serviceImages(stack: string): Promise<Array<{ service: string; image: string; digest?: string }>>;
  /**
   * Asks the image's registry, through the Engine, whether it hands the image out (without
   * credentials); 'no-answer' when nothing came within the time. Throws only when the Engine
   * itself cannot be reached.
   */
  askRegistry(image: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<RegistryReply>;
  removeServices(names: string[]): Promise<void>;
  removeContainers(names: string[]): Promise<void>;
  removeVolumes(names: string[]): Promise<void>;
  removeSecrets(names: string[]): Promise<void>;
  removeConfigs(names: string[]): Promise<void>;
  removeNetworks(names: string[]): Promise<void>;
}
