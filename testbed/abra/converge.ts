// Convergence monitor (DESIGN §4, A.6): every service has running == desired and its update
// state is empty or `completed`; `paused` and `rollback_*` are failures. Polling is enough here.
import { fail, info, warn } from './log.js';
import { stackServices, type ServiceInfo } from './swarm.js';

const POLL_MS = 1000;
/** Belt and braces on top of updateNotStarted: confirm a converged reading on the next poll,
 *  and not before this long after the deploy. */
const SETTLE_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The update state of this deploy's update; one that started before it describes an older one. */
function stateNow(s: ServiceInfo, since: number): string {
  return s.updateStartedAt !== undefined && s.updateStartedAt >= since ? s.updateState : '';
}

function failed(s: ServiceInfo, since: number): boolean {
  const st = stateNow(s, since);
  return st === 'paused' || st.startsWith('rollback');
}

/** `docker stack deploy` updates every service, so PreviousSpec is the spec before this deploy;
 *  swarm starts the rolling update asynchronously (UpdateStatus still absent or from an older
 *  update for about a second), during which the old tasks still read N/N. */
function updateNotStarted(s: ServiceInfo, since: number): boolean {
  return s.templateChanged && (s.updateStartedAt === undefined || s.updateStartedAt < since);
}

function converged(s: ServiceInfo, since: number): boolean {
  const st = stateNow(s, since);
  return s.running === s.desired && (st === '' || st === 'completed') && !updateNotStarted(s, since);
}

/** Wait until the stack converges, or end with `FATA deploy failed` / `FATA deploy timed out`. */
export async function waitConverged(stack: string, timeoutSec: number, since: number): Promise<void> {
  const start = Date.now();
  const deadline = start + timeoutSec * 1000;
  let seen = 0;
  info(`waiting for ${stack} to converge (timeout ${timeoutSec}s)`);
  for (;;) {
    const services = await stackServices(stack);
    const bad = services.filter((x) => failed(x, since));
    if (bad.length > 0) {
      for (const s of bad) warn(`${s.name}: update ${s.updateState}: ${s.updateMessage}`);
      fail('deploy failed');
    }
    const ok = services.length > 0 && services.every((x) => converged(x, since));
    seen = ok && Date.now() - start >= SETTLE_MS ? seen + 1 : 0;
    if (seen >= 2) {
      info(`${stack} converged: ${services.map((s) => `${s.service} ${s.replicas}`).join(', ')}`);
      return;
    }
    if (Date.now() >= deadline) {
      for (const s of services.filter((x) => !converged(x, since))) {
        warn(`${s.name}: ${s.replicas} replicas, update state "${s.updateState}"`);
      }
      fail('deploy timed out');
    }
    await sleep(POLL_MS);
  }
}

/** Seconds to wait: the recipe's `coop-cloud.<stack>.timeout` label on app (A.6: abra reads the
 *  timeout from a label [V], key [U]), else TIMEOUT from the .env (A.8.4 [V3]), else 300. */
export function convergeTimeout(label: string | undefined, env: Record<string, string>): number {
  for (const v of [label, env['TIMEOUT']]) {
    const n = Number(v);
    if (v !== undefined && v !== '' && Number.isFinite(n) && n > 0) return n;
  }
  return 300;
}
