// An exec runner of the stand-in Drone, as drone-runner-exec runs a stage (engine/compiler and
// engine/exec.go): it takes pending `exec` stages up to its capacity (DRONE_RUNNER_CAPACITY),
// names itself as the stage's `machine`, makes the stage's root (a temporary drone-<random> folder
// with home/drone, drone/src and opt/), writes each step's commands as a shell script and runs it
// with `/bin/sh -e`, one step after another, output and errors into the step's log. A step's
// environment: the runner's own (DRONE_RUNNER_ENVIRON), the build's parameters, PATH and USER of
// the host, Drone's DRONE_* variables, HOME and DRONE_WORKSPACE, the step's `environment`, then its
// secrets. A cancel kills the step's process (SIGKILL to it alone, as exec.go's Process.Kill);
// killing the runner plays its host going down: every process of its steps is killed and nothing
// is reported, so its builds stay `running` (see README.md: a runner that vanished).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { PipelineSpec, StepSpec } from './pipeline.js';
import { nowSeconds, type BuildRec, type LogLine, type StageRec, type StepRec } from './records.js';
import { settleBuild, type RepoRec, type Store } from './store.js';

export interface RunnerOptions {
  /** DRONE_RUNNER_NAME: what the stage's `machine` says. */
  name: string;
  /** DRONE_RUNNER_CAPACITY (Drone's default: 2). */
  capacity?: number;
  /** DRONE_RUNNER_ENVIRON: variables every step of this runner gets (its host's ABRA_DIR, CCCI_CONFIG, …). */
  env?: Record<string, string>;
  /** Where stage roots are made (default the system's temporary folder, as the exec runner's). */
  root?: string;
}

interface Running {
  build: BuildRec;
  stage: StageRec;
  child?: ChildProcess;
  /** Set by a cancel: the runner reports nothing more of the stage. */
  cancelled: boolean;
}

export class ExecRunner {
  readonly name: string;
  readonly capacity: number;
  alive = true;
  private readonly running = new Set<Running>();
  /** Every step process group ever started and not yet known to be gone, for kill() and close(). */
  private readonly groups = new Set<number>();
  /** Stage roots not yet removed (a dead host leaves its own; close() removes them). */
  private readonly roots = new Set<string>();

  constructor(
    private readonly store: Store,
    private readonly opts: RunnerOptions,
  ) {
    this.name = opts.name;
    this.capacity = opts.capacity ?? 2;
  }

  get busy(): number {
    return this.running.size;
  }

  /** Takes pending stages while there is room (Drone's runner polls the server for them). */
  poll(): void {
    while (this.alive && this.running.size < this.capacity) {
      const next = this.store.nextPending('exec');
      if (!next) return;
      void this.runStage(next.repo, next.build, next.stage, next.pipeline);
    }
  }

  /** A cancel of the build: its step's process is killed (SIGKILL, the process alone). */
  cancel(build: BuildRec): void {
    for (const r of this.running)
      if (r.build === build) {
        r.cancelled = true;
        r.child?.kill('SIGKILL');
      }
  }

  /** The host goes down: every step process dies, nothing is reported, the builds stay running. */
  kill(): void {
    this.alive = false;
    for (const r of this.running) r.cancelled = true;
    this.killGroups();
  }

  /** Leaves no process behind (the stand-in's own shutdown). */
  close(): void {
    this.kill();
    for (const root of this.roots) rmSync(root, { recursive: true, force: true });
    this.roots.clear();
  }

  private killGroups(): void {
    for (const pgid of this.groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.groups.clear();
  }

  private async runStage(repo: RepoRec, build: BuildRec, stage: StageRec, pipeline: PipelineSpec): Promise<void> {
    const run: Running = { build, stage, cancelled: false };
    this.running.add(run);
    const now = nowSeconds();
    stage.status = 'running';
    stage.machine = this.name;
    stage.started = now;
    stage.updated = now;
    if (build.status === 'pending') {
      build.status = 'running';
      build.started = now;
      build.updated = now;
    }
    const specs: StepSpec[] = [
      ...(pipeline.cloneDisabled ? [] : [{ name: 'clone', commands: [], environment: {}, secrets: {} }]),
      ...pipeline.steps,
    ];
    stage.steps = specs.map((s, i) => this.newStep(stage, s.name, i + 1));
    const root = mkdtempSync(path.join(this.opts.root ?? tmpdir(), 'drone-'));
    this.roots.add(root);
    const home = path.join(root, 'home', 'drone');
    const source = path.join(root, 'drone', 'src');
    for (const dir of [home, source, path.join(root, 'opt')]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      let failed = false;
      for (const [i, spec] of specs.entries()) {
        const step = stage.steps[i] as StepRec;
        if (run.cancelled) return;
        if (failed) {
          step.status = 'skipped';
          continue;
        }
        const env = this.stepEnv(repo, build, stage, spec, home, source);
        // The clone step of a pipeline without `clone: {disable: true}` clones nothing here (README.md).
        const script = path.join(root, 'opt', `${spec.name.replace(/[^A-Za-z0-9_.-]/g, '_')}.sh`);
        writeFileSync(script, shellScript(spec.commands), { mode: 0o700 });
        const code = await this.runStep(run, step, script, source, env);
        if (run.cancelled) return;
        step.exit_code = code;
        step.status = code === 0 ? 'success' : 'failure';
        step.stopped = nowSeconds();
        if (code !== 0) failed = true;
      }
      const end = nowSeconds();
      stage.status = failed ? 'failure' : 'success';
      stage.exit_code = failed ? (stage.steps.find((s) => s.status === 'failure')?.exit_code ?? 1) : 0;
      stage.stopped = end;
      stage.updated = end;
      settleBuild(build);
    } finally {
      this.running.delete(run);
      if (this.alive) {
        rmSync(root, { recursive: true, force: true });
        this.roots.delete(root);
      }
      this.store.onPending();
    }
  }

  private newStep(stage: StageRec, name: string, number: number): StepRec {
    return {
      id: this.store.id(),
      stage_id: stage.id,
      number,
      name,
      status: 'pending',
      error: '',
      errignore: false,
      exit_code: 0,
      started: 0,
      stopped: 0,
      version: 1,
    };
  }

  private stepEnv(
    repo: RepoRec,
    build: BuildRec,
    stage: StageRec,
    spec: StepSpec,
    home: string,
    source: string,
  ): Record<string, string> {
    const host: Record<string, string> = {};
    for (const key of ['PATH', 'USER']) if (process.env[key] !== undefined) host[key] = process.env[key] as string;
    const [owner, name] = repo.slug.split('/');
    const secrets: Record<string, string> = {};
    // A secret the repository does not have is an empty value (the compiler leaves its data nil).
    for (const [variable, secret] of Object.entries(spec.secrets)) secrets[variable] = repo.secrets.get(secret) ?? '';
    return {
      ...this.opts.env,
      ...build.params,
      ...host,
      CI: 'true',
      DRONE: 'true',
      DRONE_REPO: repo.slug,
      DRONE_REPO_OWNER: owner ?? '',
      DRONE_REPO_NAME: name ?? '',
      DRONE_BUILD_NUMBER: String(build.number),
      DRONE_BUILD_EVENT: build.event,
      DRONE_BUILD_CREATED: String(build.created),
      DRONE_BUILD_STARTED: String(build.started),
      DRONE_BRANCH: build.target,
      DRONE_COMMIT: build.after,
      DRONE_COMMIT_SHA: build.after,
      DRONE_COMMIT_REF: build.ref,
      DRONE_STAGE_NAME: stage.name,
      DRONE_STAGE_NUMBER: String(stage.number),
      DRONE_STAGE_KIND: stage.kind,
      DRONE_STAGE_TYPE: stage.type,
      DRONE_STAGE_MACHINE: stage.machine,
      DRONE_STAGE_OS: stage.os,
      DRONE_STAGE_ARCH: stage.arch,
      HOME: home,
      DRONE_HOME: source,
      DRONE_WORKSPACE: source,
      GIT_TERMINAL_PROMPT: '0',
      ...spec.environment,
      ...secrets,
    };
  }

  private runStep(run: Running, step: StepRec, script: string, cwd: string, env: Record<string, string>) {
    return new Promise<number>((resolve) => {
      step.status = 'running';
      step.started = nowSeconds();
      const started = Date.now();
      const lines: LogLine[] = [];
      let partial = '';
      const add = (text: string) => {
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const part of parts)
          lines.push({ pos: lines.length, out: `${part}\n`, time: Math.floor((Date.now() - started) / 1000) });
      };
      // Its own process group, so that the host's death (kill()) takes everything the step started.
      const child = spawn('/bin/sh', ['-e', script], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
      run.child = child;
      if (child.pid !== undefined) this.groups.add(child.pid);
      child.stdout.setEncoding('utf8').on('data', add);
      child.stderr.setEncoding('utf8').on('data', add);
      child.on('error', (err) => {
        add(`${err.message}\n`);
        resolve(255);
      });
      child.on('close', (code, signal) => {
        if (partial) lines.push({ pos: lines.length, out: partial, time: Math.floor((Date.now() - started) / 1000) });
        if (!run.cancelled) {
          step.log = lines;
          if (child.pid !== undefined) this.groups.delete(child.pid);
        }
        resolve(code ?? (signal ? 255 : 0));
      });
    });
  }
}

/**
 * A step's script as the exec runner writes it (runner-go's shell package): each command echoed
 * with a `+ ` before it runs, under `sh -e` so the first failing command ends the step.
 */
export function shellScript(commands: string[]): string {
  const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  return ['set -e', ...commands.flatMap((c) => [`echo ${quote(`+ ${c}`)}`, c]), ''].join('\n');
}
