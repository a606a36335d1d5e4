// The stand-in Drone's state, in memory: users and their tokens, repositories (each a folder
// holding its .drone.yml, and its secrets), and builds. A build is made as Drone's trigger makes
// one for a `custom` event: one stage per matching pipeline, `pending` until a runner takes it.
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pipelinesFor, type PipelineSpec } from './pipeline.js';
import { nowSeconds, type BuildRec, type StageRec } from './records.js';

export interface RepoRec {
  id: number;
  slug: string;
  /** Where the repository's .drone.yml is read from, at each build's creation. */
  dir: string;
  defaultBranch: string;
  secrets: Map<string, string>;
  builds: BuildRec[];
  /** The last build number given (numbers are never reused, even after a build is forgotten). */
  counter: number;
  /** The pipelines of each build's stages, by build id (what a runner compiles). */
  pipelines: Map<number, PipelineSpec[]>;
}

export interface UserRec {
  login: string;
  token: string;
}

export class Store {
  readonly users: UserRec[] = [];
  readonly repos = new Map<string, RepoRec>();
  private nextId = 1;
  /** Called when a build is made or a runner may have room (the runners' poll). */
  onPending: () => void = () => {};

  id(): number {
    return this.nextId++;
  }

  addUser(login: string, token = randomBytes(16).toString('hex')): UserRec {
    const user = { login, token };
    this.users.push(user);
    return user;
  }

  userByToken(token: string | undefined): UserRec | undefined {
    return token ? this.users.find((u) => u.token === token) : undefined;
  }

  addRepo(slug: string, dir: string, defaultBranch = 'main'): RepoRec {
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(slug)) throw new Error(`repository must be owner/name: ${slug}`);
    const repo: RepoRec = {
      id: this.id(),
      slug,
      dir: path.resolve(dir),
      defaultBranch,
      secrets: new Map(),
      builds: [],
      counter: 0,
      pipelines: new Map(),
    };
    this.repos.set(slug, repo);
    return repo;
  }

  /**
   * A custom build, as the newer create.go and Drone's trigger make it: the .drone.yml read now;
   * a file that does not parse makes a build in `error` with YAML's message; no pipeline for a
   * custom event makes no build (undefined).
   */
  createBuild(repo: RepoRec, user: UserRec, branch: string, commit: string, params: Record<string, string>) {
    const now = nowSeconds();
    let pipelines: PipelineSpec[] = [];
    let error = '';
    let yml = '';
    try {
      yml = readFileSync(path.join(repo.dir, '.drone.yml'), 'utf8');
      pipelines = pipelinesFor(yml, 'custom');
    } catch (err) {
      error = err instanceof Error ? err.message : String(err);
    }
    if (!error && pipelines.length === 0) return undefined;
    const build: BuildRec = {
      id: this.id(),
      repo_id: repo.id,
      trigger: `@${user.login}`,
      number: ++repo.counter,
      parent: 0,
      status: error ? 'error' : 'pending',
      error,
      event: 'custom',
      action: '',
      link: '',
      timestamp: 0,
      title: '',
      message: '',
      before: '',
      after: commit || createHash('sha1').update(`${branch}\n${yml}`).digest('hex'),
      ref: `refs/heads/${branch}`,
      source_repo: '',
      source: branch,
      target: branch,
      author_login: user.login,
      author_name: user.login,
      author_email: '',
      author_avatar: '',
      sender: user.login,
      params,
      cron: '',
      deploy_to: '',
      deploy_id: 0,
      debug: false,
      started: 0,
      finished: error ? now : 0,
      created: now,
      updated: now,
      version: 1,
      stages: [],
    };
    build.stages = pipelines.map((p, i): StageRec => ({
      id: this.id(),
      repo_id: repo.id,
      build_id: build.id,
      number: i + 1,
      name: p.name,
      kind: 'pipeline',
      type: p.type,
      status: 'pending',
      error: '',
      errignore: false,
      exit_code: 0,
      machine: '',
      os: p.os,
      arch: p.arch,
      variant: '',
      kernel: '',
      limit: 0,
      throttle: 0,
      started: 0,
      stopped: 0,
      created: now,
      updated: now,
      version: 1,
      on_success: true,
      on_failure: false,
      depends_on: null,
      labels: null,
      steps: [],
    }));
    repo.builds.push(build);
    repo.pipelines.set(build.id, pipelines);
    this.onPending();
    return build;
  }

  findBuild(slug: string, number: number): BuildRec | undefined {
    return this.repos.get(slug)?.builds.find((b) => b.number === number);
  }

  /** The oldest pending stage a runner of `type` can take, with its build, repository and pipeline. */
  nextPending(type: string) {
    for (const repo of this.repos.values())
      for (const build of repo.builds)
        for (const stage of build.stages) {
          const pipeline = repo.pipelines.get(build.id)?.[stage.number - 1];
          if (stage.status === 'pending' && stage.type === type && pipeline) return { repo, build, stage, pipeline };
        }
    return undefined;
  }

  /** Drop the build from the record, as if Drone had lost it (the control API's "forget"). */
  forgetBuild(slug: string, number: number): boolean {
    const repo = this.repos.get(slug);
    const index = repo?.builds.findIndex((b) => b.number === number) ?? -1;
    if (!repo || index < 0) return false;
    repo.builds.splice(index, 1);
    return true;
  }
}

/** Drone's rule for a build from its stages: the first failed one's status, else success. */
export function settleBuild(build: BuildRec): void {
  if (build.stages.some((s) => ['pending', 'running', 'waiting_on_dependencies'].includes(s.status))) return;
  const failed = build.stages.find((s) => ['failure', 'killed', 'error'].includes(s.status));
  build.status = failed ? failed.status : 'success';
  build.finished = nowSeconds();
  build.updated = build.finished;
}
