// Reads of the swarm through the docker CLI: a stack's services, their labels, replicas,
// update state and mounts, and the running container of a service.
import { docker, jsonLines } from './exec.js';

export const NAMESPACE_LABEL = 'com.docker.stack.namespace';

interface ServiceLsRow {
  ID: string;
  Name: string;
  Mode: string;
  Replicas: string;
  Image: string;
}

interface ServiceInspect {
  ID: string;
  Spec: {
    Name: string;
    TaskTemplate?: unknown;
    Labels?: Record<string, string>;
  };
  PreviousSpec?: { TaskTemplate?: unknown };
  UpdateStatus?: { State?: string; Message?: string; StartedAt?: string };
}

export interface ServiceInfo {
  id: string;
  /** full name, `<stack>_<service>` */
  name: string;
  /** the compose service name */
  service: string;
  mode: string;
  image: string;
  running: number;
  desired: number;
  replicas: string;
  labels: Record<string, string>;
  updateState: string;
  updateMessage: string;
  mounts: { source: string; target: string }[];
  /** the last update changed the task template, so swarm must roll the tasks */
  templateChanged: boolean;
  /** when swarm started the current/last rolling update (ms), if any */
  updateStartedAt: number | undefined;
}

interface TaskTemplate {
  ContainerSpec?: { Mounts?: { Type?: string; Source?: string; Target?: string }[] };
}

function parseReplicas(r: string): { running: number; desired: number } {
  const m = /^(\d+)\/(\d+)/.exec(r);
  return m ? { running: Number(m[1]), desired: Number(m[2]) } : { running: 0, desired: 0 };
}

async function listServices(filter: string): Promise<ServiceLsRow[]> {
  const res = await docker(['service', 'ls', '--filter', filter, '--format', '{{json .}}']);
  return jsonLines<ServiceLsRow>(res.stdout);
}

/** Every service of a stack, with replicas from `service ls` and the rest from `service inspect`. */
export async function stackServices(stack: string): Promise<ServiceInfo[]> {
  const rows = (await listServices(`label=${NAMESPACE_LABEL}=${stack}`)).filter((r) => r.Name.startsWith(`${stack}_`));
  if (rows.length === 0) return [];
  const res = await docker(['service', 'inspect', ...rows.map((r) => r.ID)], { check: false });
  const inspected = res.exitCode === 0 ? (JSON.parse(res.stdout) as ServiceInspect[]) : [];
  return rows.map((row) => {
    const ins = inspected.find((s) => s.ID.startsWith(row.ID) || row.ID.startsWith(s.ID));
    const mounts = (ins?.Spec.TaskTemplate as TaskTemplate | undefined)?.ContainerSpec?.Mounts ?? [];
    const prev = ins?.PreviousSpec?.TaskTemplate;
    const started = ins?.UpdateStatus?.StartedAt;
    return {
      id: row.ID,
      name: row.Name,
      service: row.Name.slice(stack.length + 1),
      mode: row.Mode,
      image: row.Image,
      replicas: row.Replicas,
      ...parseReplicas(row.Replicas),
      labels: ins?.Spec.Labels ?? {},
      updateState: ins?.UpdateStatus?.State ?? '',
      updateMessage: ins?.UpdateStatus?.Message ?? '',
      mounts: mounts
        .filter((m) => (m.Type ?? 'volume') === 'volume' && m.Source && m.Target)
        .map((m) => ({ source: m.Source ?? '', target: m.Target ?? '' })),
      templateChanged: prev !== undefined && JSON.stringify(prev) !== JSON.stringify(ins?.Spec.TaskTemplate),
      updateStartedAt: started !== undefined ? Date.parse(started) : undefined,
    };
  });
}

export async function isDeployed(stack: string): Promise<boolean> {
  return (await stackServices(stack)).length > 0;
}

/** Labels of the deployed `app` service (abra's version/chaos labels live there, A.3). */
export async function deployedAppLabels(stack: string): Promise<Record<string, string> | undefined> {
  return (await stackServices(stack)).find((s) => s.service === 'app')?.labels;
}

/** How abra finds the backup bot (B.4 [U]). */
const BACKUPBOT_FILTER = 'label=coop-cloud.backupbot.enabled=true';

/** Whether a service labelled coop-cloud.backupbot.enabled=true has a running task (B.4). */
export async function backupBotRunning(): Promise<boolean> {
  const rows = await listServices(BACKUPBOT_FILTER);
  return rows.some((r) => parseReplicas(r.Replicas).running > 0);
}

/** A running container of a service labelled coop-cloud.backupbot.enabled=true: where restic runs. */
export async function backupBotContainer(): Promise<string | undefined> {
  for (const row of await listServices(BACKUPBOT_FILTER)) {
    const c = await serviceContainer(row.Name);
    if (c !== undefined) return c;
  }
  return undefined;
}

/** A running container of `<stack>_<service>`, for hooks. */
export function runningContainer(stack: string, service: string): Promise<string | undefined> {
  return serviceContainer(`${stack}_${service}`);
}

/** A running container of the service with this full name. */
async function serviceContainer(name: string): Promise<string | undefined> {
  const res = await docker([
    'ps',
    '-q',
    '--filter',
    `label=com.docker.swarm.service.name=${name}`,
    '--filter',
    'status=running',
  ]);
  return res.stdout
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l.length > 0);
}
