// Waits until a stack has converged (DESIGN §4): every service has its desired replicas running
// and its update state is empty, `completed` or `rollback_completed`; `paused` and
// `rollback_paused` are failures. Docker events are the wake-up signal: after one, the state is
// re-read often for a short while, because a task turns `running` (after its healthcheck) with
// no event of its own; otherwise it is re-read once a second as a backstop.
//
// A converged state must also hold: like `docker service create/update` (the CLI's "waiting to
// verify that tasks are stable"), every counted task must have been running for the service's
// update monitor (5 s unless `update_config.monitor` says otherwise). Swarm reports a task
// `running` for an instant when its container was stopped as unhealthy and exited 0, so N/N
// alone can be a crash loop caught between two restarts.
//
// A task whose image could not be pulled is rejected with only "No such image: <image>": Docker
// logs the registry's error and keeps it nowhere else. So the image's registry is asked once per
// image (through the Engine, askRegistry) what it says: an image it does not have, a rate limit or
// a refused login ends the wait at once, as a pull failure with the registry's words; a registry
// that could not be reached may answer swarm's next try, so that is reported only if the wait fails.
import { CcciError, FactError, type DockerFact, type RegistryAnswer } from '../model/errors.js';
import type { RegistryReply, ServiceState, TaskState } from './swarm-api.js';
import type { SwarmApi } from './swarm-api.js';

export interface ConvergeOptions {
  deadlineMs: number;
  signal?: AbortSignal;
  /** Progress lines for the run log. */
  onProgress?: (line: string) => void;
}

export interface Converged {
  services: ServiceState[];
  /** When cc-ci saw the converged state. */
  noticedAt: number;
  /** When Docker recorded the last task of the stack as running. */
  reportedAt: number;
  /** How long every task had to stay running before the stack counted as converged. */
  stableForMs: number;
}

type NotConverged = Extract<DockerFact, { what: 'not-converged' | 'update-paused' | 'tasks-failing' }>['what'];

/** The stack did not converge (at the deadline, an update paused, tasks kept failing), with what was seen. */
export class ConvergenceError extends FactError {
  /** The services that did not converge (full names), so their logs can be quoted. */
  readonly services: string[];
  readonly what: NotConverged;
  constructor(message: string, services: string[], what: NotConverged = 'not-converged') {
    super({ source: 'docker', what, services }, message);
    this.name = 'ConvergenceError';
    this.services = services;
    this.what = what;
  }
}

/** A service's image could not be pulled onto the node; the fact carries what its registry answered. */
export class ImagePullError extends FactError {
  readonly image: string;
  readonly reply: RegistryReply;
  constructor(image: string, services: string[], reply: RegistryReply) {
    super(
      { source: 'docker', what: 'image-not-pulled', services, image, registry: reply.answer },
      pullMessage(image, services, reply),
    );
    this.name = 'ImagePullError';
    this.image = image;
    this.reply = reply;
  }
}

/** What the registry's answer means for the recipe's maintainer or the operator, and what to do. */
export function pullMessage(image: string, services: string[], reply: RegistryReply): string {
  const what = `image ${image} of service ${services.join(', ')}`;
  // A proxy in front of a registry may answer with a whole page: its first line says enough.
  const words = reply.message.split('\n')[0]!.slice(0, MAX_WORDS);
  const said = `the registry said: ${words}`;
  switch (reply.answer) {
    case 'rate-limited':
      return (
        `${what} could not be pulled: the registry's pull rate limit was hit (${said}); wait for the limit ` +
        'to reset, or log the Docker host in to the registry (docker login) for a higher limit'
      );
    case 'unauthorized':
      return (
        `${what} could not be pulled: the registry refused it without a login (${said}); for a private image, ` +
        'log the Docker host in to the registry (docker login, see docs/install.md)'
      );
    case 'not-found':
      return `${what} does not exist: its registry has no such tag or repository (${said}); fix the recipe's image`;
    case 'unreachable':
      return `${what} could not be pulled: its registry could not be reached (${words}); check the network`;
    case 'no-answer':
      return `${what} could not be pulled: ${words}; check the host's network and the registry`;
    case 'has-it':
      return (
        `${what} could not be pulled onto the node (its tasks were rejected: No such image), though the registry ` +
        "serves it when asked; the pull failed on every try: see the Docker daemon's log"
      );
  }
}

// The registry's answers that retrying will not change within a deploy's wait.
const FINAL_ANSWERS: readonly RegistryAnswer[] = ['not-found', 'rate-limited', 'unauthorized'];
// How long the registry may take to answer about one image.
export const REGISTRY_TIMEOUT_MS = 20_000;
const NO_SUCH_IMAGE = /^No such image: (\S+)/;
const MAX_WORDS = 300;

const HOT_POLL_MS = 50;
const HOT_WINDOW_MS = 3_000;
const IDLE_POLL_MS = 1_000;
// A service whose tasks keep failing is given up on before the deadline.
const MAX_FAILED_TASKS = 6;
// Swarm's default update monitor, which the Docker CLI also waits out before it says converged.
export const DEFAULT_MONITOR_MS = 5_000;
// The converged state must also be seen to hold this long by cc-ci itself, so a Docker host whose
// clock runs behind ours cannot shorten the window to nothing.
const MIN_OBSERVED_MS = 1_000;

export async function waitForConvergence(docker: SwarmApi, stack: string, opts: ConvergeOptions): Promise<Converged> {
  const started = Date.now();
  const deadline = started + opts.deadlineMs;
  const events = new AbortController();
  let wake: (() => void) | undefined;
  // A stop ends the event stream and the current pause at once.
  const stop = () => {
    events.abort();
    wake?.();
  };
  opts.signal?.addEventListener('abort', stop, { once: true });
  let hotUntil = Date.now() + HOT_WINDOW_MS;
  await docker.events(events.signal, (e) => {
    const ns = e.attributes['com.docker.stack.namespace'];
    if (ns === stack || (e.attributes.name ?? '').startsWith(`${stack}_`)) {
      hotUntil = Date.now() + HOT_WINDOW_MS;
      wake?.();
    }
  });
  let lastSummary = '';
  // Swarm keeps only a few old tasks per service (task history retention, 5 by default), so
  // failures are counted over the whole wait, not in one listing.
  const failedSeen = new Set<string>();
  // When the current converged state was first seen; reset whenever it breaks.
  let noticedAt: number | undefined;
  // What each image's registry answered, asked once per image; and which service waits on which image.
  const asked = new Map<string, RegistryReply>();
  const notPulled = new Map<string, string>();
  const waitingOn = (image: string) => [...notPulled].filter(([, i]) => i === image).map(([s]) => s);
  // A failed wait is a pull failure when the services it names are waiting for an image.
  const pullFailure = (names: string[]): ImagePullError | undefined => {
    const image = names.map((n) => notPulled.get(n)).find((i) => i !== undefined);
    if (image === undefined) return undefined;
    return new ImagePullError(image, waitingOn(image), asked.get(image)!);
  };
  try {
    for (;;) {
      if (opts.signal?.aborted) throw new CcciError('CANCELLED', `waiting for stack ${stack}: cancelled`);
      const services = await docker.services(stack);
      const tasks = await docker.tasks(services.map((s) => s.id));
      for (const t of tasks)
        if (t.state === 'failed' || t.state === 'rejected') failedSeen.add(`${t.serviceId} ${t.id}`);
      notPulled.clear();
      for (const [service, image] of imagesNotPulled(services, tasks)) {
        notPulled.set(service, image);
        if (asked.has(image)) continue;
        opts.onProgress?.(`service ${service}: image ${image} could not be pulled; asking its registry why`);
        const reply = await docker.askRegistry(image, { timeoutMs: REGISTRY_TIMEOUT_MS, signal: opts.signal });
        asked.set(image, reply);
        opts.onProgress?.(`registry of ${image}: ${reply.answer}: ${reply.message}`);
      }
      const final = [...new Set(notPulled.values())].find((i) => FINAL_ANSWERS.includes(asked.get(i)!.answer));
      if (final !== undefined) throw new ImagePullError(final, waitingOn(final), asked.get(final)!);
      const verdict = judge(stack, services, tasks, failedSeen);
      if (verdict.kind === 'failed')
        throw pullFailure(verdict.services) ?? new ConvergenceError(verdict.message, verdict.services, verdict.why);
      let stableAt = Infinity;
      let summary = verdict.kind === 'waiting' ? verdict.summary : '';
      if (verdict.kind === 'converged') {
        const now = Date.now();
        noticedAt ??= now;
        // A stack whose services all want 0 replicas has no running task: it holds from when it was seen.
        const reportedAt = lastRunningAt(services, tasks) ?? noticedAt;
        const stableForMs = stabilityWindow(services);
        stableAt = Math.max(reportedAt + stableForMs, noticedAt + Math.min(stableForMs, MIN_OBSERVED_MS));
        if (now >= stableAt) return { services, noticedAt, reportedAt, stableForMs };
        summary =
          `${services.map((s) => `service ${s.name} ${s.desired}/${s.desired} running`).join('; ')}; ` +
          `waiting ${Math.ceil((stableAt - now) / 1000)} s to verify that the tasks are stable`;
      } else {
        noticedAt = undefined;
      }
      if (summary !== lastSummary) {
        lastSummary = summary;
        opts.onProgress?.(summary);
      }
      if (Date.now() >= deadline) {
        const behind = verdict.kind === 'waiting' ? verdict.services : services.map((s) => s.name);
        const pull = pullFailure(behind);
        if (pull) throw pull;
        throw new ConvergenceError(
          `timed out after ${Math.round(opts.deadlineMs / 1000)} s waiting for stack ${stack} to converge: ${summary}`,
          behind,
        );
      }
      if (opts.signal?.aborted) throw new CcciError('CANCELLED', `waiting for stack ${stack}: cancelled`);
      const poll = Date.now() < hotUntil ? HOT_POLL_MS : IDLE_POLL_MS;
      const pause = Math.min(poll, Math.max(0, stableAt - Date.now()), Math.max(0, deadline - Date.now()));
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = undefined;
    }
  } finally {
    stop();
    opts.signal?.removeEventListener('abort', stop);
  }
}

type Judgement =
  | { kind: 'converged' }
  | { kind: 'failed'; why: 'update-paused' | 'tasks-failing'; message: string; services: string[] }
  | { kind: 'waiting'; summary: string; services: string[] };

/** The pure rule: converged, failed for good, or still waiting (with what is missing). */
export function judge(
  stack: string,
  services: ServiceState[],
  tasks: TaskState[],
  failedSeen: ReadonlySet<string> = new Set(),
): Judgement {
  if (services.length === 0)
    return { kind: 'waiting', summary: `no service of stack ${stack} exists yet`, services: [] };
  const waiting: string[] = [];
  const behind: string[] = [];
  for (const s of services) {
    const own = tasks.filter((t) => t.serviceId === s.id);
    const failed = own.filter((t) => t.state === 'failed' || t.state === 'rejected');
    const failedCount = Math.max(failed.length, [...failedSeen].filter((k) => k.startsWith(`${s.id} `)).length);
    const last = failed.sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0];
    const lastError = last ? `; last failed task: ${last.error ?? last.message}` : '';
    if (s.updateState === 'paused' || s.updateState === 'rollback_paused') {
      const why = s.updateMessage ? ` (${s.updateMessage})` : '';
      const message = `service ${s.name} did not converge: update ${s.updateState}${why}${lastError}`;
      return { kind: 'failed', why: 'update-paused', message, services: [s.name] };
    }
    const settled = !s.updateState || s.updateState === 'completed' || s.updateState === 'rollback_completed';
    // Running counts only tasks with the service's current template: right after a redeploy the
    // old tasks still run at N/N before swarm has even started the update.
    const current = own.filter(
      (t) => t.state === 'running' && t.desiredState === 'running' && t.template === s.template,
    ).length;
    if (settled && current >= s.desired) continue;
    if (failedCount >= MAX_FAILED_TASKS) {
      const message =
        `service ${s.name} did not converge: ${current}/${s.desired} running after ${failedCount} ` +
        `failed tasks${lastError}`;
      return { kind: 'failed', why: 'tasks-failing', message, services: [s.name] };
    }
    const states = own.filter((t) => t.desiredState === 'running').map((t) => t.state);
    const update = settled ? '' : `, update ${s.updateState}`;
    behind.push(s.name);
    waiting.push(
      `service ${s.name} ${current}/${s.desired} running${update} ` +
        `(tasks: ${states.join(', ') || 'none'}${failedCount ? `, ${failedCount} failed` : ''}${lastError})`,
    );
  }
  return waiting.length === 0
    ? { kind: 'converged' }
    : { kind: 'waiting', summary: waiting.join('; '), services: behind };
}

/**
 * The services (full names) whose newest task with the current template was rejected or failed
 * because its image is not on the node, with that image; a service with such a task running is not.
 */
export function imagesNotPulled(services: ServiceState[], tasks: TaskState[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of services) {
    const own = tasks.filter((t) => t.serviceId === s.id && t.template === s.template);
    if (own.some((t) => t.state === 'running')) continue;
    const last = own
      .filter((t) => t.state === 'rejected' || t.state === 'failed')
      .sort((a, b) => b.timestamp.localeCompare(a.timestamp))[0];
    const image = NO_SUCH_IMAGE.exec(last?.error ?? '')?.[1];
    if (image !== undefined) out.set(s.name, image);
  }
  return out;
}

/** The longest update monitor of the stack's services: each must stay converged that long. */
export function stabilityWindow(services: ServiceState[]): number {
  return Math.max(0, ...services.map((s) => s.monitorMs ?? DEFAULT_MONITOR_MS));
}

/** When Docker recorded the newest of the tasks that make the stack converged as running. */
function lastRunningAt(services: ServiceState[], tasks: TaskState[]): number | undefined {
  const templates = new Map(services.map((s) => [s.id, s.template]));
  const times = tasks
    .filter((t) => t.state === 'running' && t.desiredState === 'running' && templates.get(t.serviceId) === t.template)
    .map((t) => Date.parse(t.timestamp))
    .filter((t) => !Number.isNaN(t));
  return times.length ? Math.max(...times) : undefined;
}
