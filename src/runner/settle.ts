// The settle phase, per app and then for the run. As soon as the last stage on an app's chain
// has ended, the app is settled: its service logs and images go into the artifacts, then it is
// torn down, or kept when --keep asks and one of its stages failed. So the install app's
// teardown overlaps the upgrade that is still going. When the run ends, any app not settled yet
// is, the lease is released or kept, and the run's clones are removed. Teardown does not listen
// to the run's signal: a stopped run still cleans up. Apps whose teardown left something stay
// recorded in the lease, so the janitor reaps them (at any age) once Docker lets it.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../model/errors.js';
import { botBackupRepo } from '../backupbot/backup-repo.js';
import { collectDiagnostics } from '../docker/diagnostics.js';
import { teardownApp } from '../apps/teardown.js';
import type { ServiceDiagnostics } from '../model/results.js';
import type { StageName, StageResult } from '../model/stage.js';
import type { AppHandle } from '../stages/stage-context.js';
import type { RunDeps } from './run-deps.js';

export interface Settled {
  /** What teardown could not remove ("volume x", …); empty when clean. */
  left: string[];
  /** The longest teardown of one app. */
  durationMs: number;
  keptUntil?: string;
  /** Per app domain: its services as they were before teardown. */
  services: Map<string, ServiceDiagnostics[]>;
}

interface AppSettled {
  left: string[];
  durationMs: number;
  keptUntil?: string;
  services: ServiceDiagnostics[];
}

// Logs are worth a few seconds before teardown, never more: a stopped run must start tearing down.
const DIAGNOSTICS_BUDGET_MS = 10_000;

// Which app each stage works on: install, backup and recipe-local on the install app.
const appOfStage: Record<StageName, AppHandle['role'] | undefined> = {
  install: 'install',
  backup: 'install',
  'recipe-local': 'install',
  upgrade: 'upgrade',
  lint: undefined,
};

/** Settles apps once each, whenever their chain ends or the run does. */
export class Settler {
  private readonly settled = new Map<AppHandle, Promise<AppSettled>>();
  private keepUntil: string | undefined;

  constructor(
    private readonly deps: RunDeps,
    private readonly keep: boolean,
  ) {}

  /** Settles one app (once), given how the run's stages have ended so far. */
  app(app: AppHandle, stages: ReadonlyMap<StageName, StageResult>): Promise<AppSettled> {
    let done = this.settled.get(app);
    if (!done) {
      done = this.settleApp(app, stages);
      this.settled.set(app, done);
    }
    return done;
  }

  /** The run's end: every app settled, the lease released (or kept), the clones removed. */
  async run(apps: AppHandle[], stages: ReadonlyMap<StageName, StageResult>): Promise<Settled> {
    const outcomes = await Promise.all(apps.map(async (a) => [a, await this.app(a, stages)] as const));
    const kept = outcomes.filter(([, o]) => o.keptUntil !== undefined).map(([a]) => a.name.domain);
    const left = outcomes.flatMap(([, o]) => o.left);
    const leftBehind = outcomes.filter(([, o]) => o.left.length > 0).map(([a]) => a.name.domain);
    const keptUntil = kept.length > 0 ? this.keepUntil : undefined;
    if (keptUntil) {
      this.deps.lease.keep(keptUntil, kept, leftBehind);
      this.deps.log.warn(
        { keepUntil: keptUntil, apps: kept },
        'kept the failed deployment; the janitor reaps it after keepUntil',
      );
    } else {
      this.deps.lease.release(leftBehind);
    }
    if (left.length > 0)
      this.deps.log.error(
        { left, leftBehind },
        `teardown left resources behind; the lease records ${leftBehind.join(', ')} for the janitor, ` +
          'which reaps them at any age (`cc-ci serve` retries on its own while Docker does not answer)',
      );
    else if (apps.length > kept.length) this.deps.log.info('teardown verified: nothing of the run is left');
    for (const role of ['install', 'upgrade', 'lint'])
      rmSync(join(this.deps.runDir.dir, `abra-${role}`, 'recipes'), { recursive: true, force: true });
    rmSync(this.deps.runDir.checkout, { recursive: true, force: true });
    return {
      left,
      durationMs: Math.max(0, ...outcomes.map(([, o]) => o.durationMs)),
      keptUntil,
      services: new Map(outcomes.map(([a, o]) => [a.name.domain, o.services])),
    };
  }

  private async settleApp(app: AppHandle, stages: ReadonlyMap<StageName, StageResult>): Promise<AppSettled> {
    const { deps } = this;
    const services = await diagnose(app, deps);
    const failed = [...stages.values()].some((s) => s.status === 'fail' && appOfStage[s.name] === app.role);
    // A stopped run is not a failure to look into: nothing is kept.
    if (this.keep && failed && !deps.signal.aborted) {
      const hours = deps.config.runner.keepOnFailure;
      if (hours > 0) {
        this.keepUntil ??= new Date(Date.now() + hours * 3_600_000).toISOString();
        deps.events.emit({
          type: 'app-released',
          domain: app.name.domain,
          kept: true,
          keepUntil: this.keepUntil,
          left: [],
        });
        deps.log.warn(
          { domain: app.name.domain, keepUntil: this.keepUntil },
          `keeping ${app.name.domain} until ${this.keepUntil}`,
        );
        return { left: [], durationMs: 0, keptUntil: this.keepUntil, services };
      }
      deps.log.warn('--keep: runner.keepOnFailure is 0, so the failed deployment is torn down anyway');
    }
    const started = Date.now();
    deps.log.info({ domain: app.name.domain }, 'teardown');
    let left: string[];
    try {
      const torn = await teardownApp({
        abra: app.abra,
        docker: deps.docker,
        domain: app.name.domain,
        stack: app.name.stack,
        log: (line) => deps.log.warn(line),
        backups: app.backedUp ? botBackupRepo(deps.docker) : undefined,
      });
      left = torn.left;
      if (torn.forgottenSnapshots.length > 0)
        deps.log.info(
          { domain: app.name.domain, snapshots: torn.forgottenSnapshots },
          `forgot the backup snapshots of ${app.name.domain}`,
        );
    } catch (err) {
      left = [`${app.name.stack}: teardown failed: ${errorMessage(err)}`];
    }
    deps.events.emit({ type: 'app-released', domain: app.name.domain, kept: false, left });
    deps.log.info(
      { domain: app.name.domain, durationMs: Date.now() - started, left },
      `${app.name.domain} torn down${left.length ? `, leaving ${left.join(', ')}` : ''}`,
    );
    return { left, durationMs: Date.now() - started, services };
  }
}

/** The app's service log tails and images, bounded in time; a failure here costs only the logs. */
async function diagnose(app: AppHandle, deps: RunDeps): Promise<ServiceDiagnostics[]> {
  let timer: NodeJS.Timeout | undefined;
  const budget = new Promise<ServiceDiagnostics[]>((resolve) => {
    timer = setTimeout(() => resolve([]), DIAGNOSTICS_BUDGET_MS);
  });
  const work = collectDiagnostics({
    docker: deps.docker,
    stack: app.name.stack,
    role: app.role,
    artifactsDir: deps.runDir.artifacts,
    redact: (text) => deps.secrets.redact(text),
    log: (line) => deps.log.warn(line),
  }).catch((err: unknown) => {
    deps.log.warn(`collecting the service logs of ${app.name.domain} failed: ${errorMessage(err)}`);
    return [];
  });
  try {
    return await Promise.race([work, budget]);
  } finally {
    clearTimeout(timer);
  }
}
