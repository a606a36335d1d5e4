// The stand-in's control surface for tests and the demo (not part of Gitea's API): users with
// tokens, orgs and memberships, repositories imported from a bare repository or a fixture,
// commits on branches, pull requests, comments as a given user (the same code path as the API,
// so webhooks fire), hooks, fault injection, the request log, webhook deliveries, the clock.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  commitOnBranch as fixtureCommit,
  makeFixtureRepos,
  type CommitOptions,
  type FixtureRepo,
} from '../fixtures/make-recipes.js';
import { repoAccess } from './access.js';
import { createComment, editComment } from './comments.js';
import type { ForgeCore } from './core.js';
import type { Fault } from './faults.js';
import { cloneBare, git, listRefs } from './git.js';
import { createIssue, createPull, createPulls, ForgeError, setIssueState, syncPullRefs } from './pulls.js';
import { firePush } from './push-hook.js';
import type { LoggedRequest } from './request-log.js';
import { addHook, toHook, type NewHook } from './routes/hooks.js';
import { toComment, toIssue } from './to-issue.js';
import { toPull } from './to-pull.js';
import type { IssueRec, OrgRole, RepoRec, UserRec } from './types.js';
import type { Delivery } from './webhooks.js';

export interface NewUser {
  login: string;
  fullName?: string;
  email?: string;
  admin?: boolean;
  /** Fixed token (default: 40 random hex characters). */
  token?: string;
}

export interface NewMember {
  login: string;
  /** Public membership (default false: private, as Gitea makes new members). */
  public?: boolean;
  /** What the member's teams grant on the org's repositories (default "write"). */
  role?: OrgRole;
}

export interface RepoHandle extends FixtureRepo {
  /** owner/name */
  fullName: string;
  /** http://127.0.0.1:<port>/<owner>/<name>.git */
  cloneUrl: string;
}

export interface ImportOptions {
  owner: string;
  /** Default: the source's (or fixture's) name. */
  name?: string;
  private?: boolean;
  description?: string;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export class ForgeControl {
  constructor(private readonly core: ForgeCore) {}

  get url(): string {
    return this.core.appUrl.replace(/\/$/, '');
  }

  createUser(opts: NewUser): { id: number; login: string; token: string } {
    const { store } = this.core;
    if (!NAME_RE.test(opts.login)) throw new ForgeError(422, `invalid user name ${JSON.stringify(opts.login)}`);
    if (store.nameTaken(opts.login)) throw new ForgeError(422, `user already exists [name: ${opts.login}]`);
    const user: UserRec = {
      id: store.nextId('user'),
      login: opts.login,
      fullName: opts.fullName ?? '',
      email: opts.email ?? `${opts.login.toLowerCase()}@forge.test`,
      isAdmin: opts.admin ?? false,
      createdUnix: store.clock.unix(),
      token: opts.token ?? store.newToken(),
    };
    store.users.set(user.id, user);
    return { id: user.id, login: user.login, token: user.token };
  }

  createOrg(opts: { name: string; fullName?: string; members?: NewMember[] }): { id: number; name: string } {
    const { store } = this.core;
    if (!NAME_RE.test(opts.name)) throw new ForgeError(422, `invalid org name ${JSON.stringify(opts.name)}`);
    if (store.nameTaken(opts.name)) throw new ForgeError(422, `user already exists [name: ${opts.name}]`);
    const org = {
      id: store.nextId('user'),
      name: opts.name,
      fullName: opts.fullName ?? '',
      createdUnix: store.clock.unix(),
      members: new Map(),
    };
    store.orgs.set(org.id, org);
    for (const m of opts.members ?? []) this.setOrgMember(opts.name, m);
    return { id: org.id, name: org.name };
  }

  /** Add a member or change their membership. */
  setOrgMember(orgName: string, member: NewMember): void {
    const org = this.org(orgName);
    const user = this.user(member.login);
    org.members.set(user.id, { public: member.public ?? false, role: member.role ?? 'write' });
  }

  removeOrgMember(orgName: string, login: string): void {
    this.org(orgName).members.delete(this.user(login).id);
  }

  /** Import a local bare repository (its branches and tags) as owner/name. */
  async importRepo(source: string, opts: ImportOptions): Promise<RepoHandle> {
    return this.addRepo(source, opts.name ?? path.basename(source).replace(/\.git$/, ''), opts);
  }

  /** Import a fixture recipe of testbed/fixtures (made with makeFixtureRepos) as owner/name. */
  async importFixture(fixture: string, opts: ImportOptions): Promise<RepoHandle> {
    const staging = path.join(this.core.dataDir, 'staging');
    await mkdir(staging, { recursive: true });
    const tmp = await mkdtemp(path.join(staging, `${fixture}-`));
    try {
      const made = await makeFixtureRepos(tmp, [fixture]);
      const repo = made[fixture];
      if (!repo) throw new ForgeError(404, `no fixture ${fixture}`);
      return await this.addRepo(repo.dir, opts.name ?? fixture, opts);
    } finally {
      await rm(tmp, { recursive: true, force: true });
    }
  }

  /** Archive a repository or bring it back (Gitea: PATCH /repos/{o}/{r} with `archived`). */
  setArchived(fullName: string, archived: boolean): void {
    const repo = this.repo(fullName);
    repo.archived = archived;
    repo.archivedUnix = archived ? this.core.store.clock.unix() : 0;
  }

  setCollaborator(fullName: string, login: string, permission: 'read' | 'write' | 'admin'): void {
    this.repo(fullName).collaborators.set(this.user(login).id, permission);
  }

  /** A handle on a repository for make-recipes' commitOnBranch (dir = the forge's bare repo). */
  async handle(fullName: string): Promise<RepoHandle> {
    const repo = this.repo(fullName);
    const refs = await listRefs(repo.dir);
    const tags = [...refs.keys()].filter((r) => r.startsWith('refs/tags/')).map((r) => r.slice('refs/tags/'.length));
    return {
      name: repo.name,
      dir: repo.dir,
      url: pathToFileURL(repo.dir).href,
      tags,
      head: refs.get(`refs/heads/${repo.defaultBranch}`) ?? '',
      fullName: this.core.store.fullName(repo),
      cloneUrl: `${this.core.appUrl}${this.core.store.fullName(repo)}.git`,
    };
  }

  /** Commit files on a branch (see make-recipes.ts commitOnBranch); open PRs on it follow. */
  async commitOnBranch(
    fullName: string,
    branch: string,
    files: Record<string, string | null>,
    message: string,
    options?: CommitOptions,
  ): Promise<string> {
    const repo = this.repo(fullName);
    const before = (await listRefs(repo.dir)).get(`refs/heads/${branch}`) ?? '0'.repeat(40);
    const sha = await fixtureCommit(await this.handle(fullName), branch, files, message, options);
    repo.updatedUnix = this.core.store.clock.unix();
    await syncPullRefs(this.core, repo);
    firePush(this.core, repo, branch, before, sha);
    return sha;
  }

  async createPullRequest(opts: {
    repo: string;
    head: string;
    base?: string;
    title: string;
    body?: string;
    author: string;
  }) {
    const repo = this.repo(opts.repo);
    const author = this.user(opts.author);
    const { issue, refs } = await createPull(this.core, repo, author, opts);
    return toPull(this.core, repo, issue, refs, null, repoAccess(this.core.store, repo, null));
  }

  /** Open many PRs by one author at once (one ref transaction), e.g. to test paging. */
  async createPullRequests(opts: {
    repo: string;
    author: string;
    pulls: { head: string; base?: string; title: string; body?: string }[];
  }): Promise<number[]> {
    const { issues } = await createPulls(this.core, this.repo(opts.repo), this.user(opts.author), opts.pulls);
    return issues.map((i) => i.index);
  }

  createIssue(opts: { repo: string; title: string; body?: string; author: string }) {
    const repo = this.repo(opts.repo);
    const issue = createIssue(this.core, repo, this.user(opts.author), opts.title, opts.body);
    return toIssue(this.core, repo, issue, null);
  }

  /** Close or reopen an issue or PR. */
  setIssueState(fullName: string, index: number, state: 'open' | 'closed'): void {
    setIssueState(this.core, this.issue(this.repo(fullName), index), state);
  }

  /** The repository's issues (not PRs), oldest first, each with its comments: what a maintainer sees. */
  issues(fullName: string) {
    const repo = this.repo(fullName);
    return this.core.store
      .issuesOf(repo.id)
      .filter((i) => !i.pull)
      .sort((a, b) => a.index - b.index)
      .map((i) => ({
        ...toIssue(this.core, repo, i, null),
        commentBodies: this.core.store.commentsOf(i.id).map((c) => c.body),
      }));
  }

  async pullRequest(fullName: string, index: number) {
    const repo = this.repo(fullName);
    await syncPullRefs(this.core, repo);
    return this.pullJson(repo, this.issue(repo, index));
  }

  /** Post a comment as `author` (webhooks fire as for the API). */
  comment(opts: { repo: string; index: number; author: string; body: string }) {
    const repo = this.repo(opts.repo);
    const issue = this.issue(repo, opts.index);
    const comment = createComment(this.core, repo, issue, this.user(opts.author), opts.body);
    return toComment(this.core, repo, issue, comment);
  }

  /** Edit a comment as `author` (webhook action "edited" when the body changes). */
  editComment(opts: { repo: string; id: number; author: string; body: string }) {
    const repo = this.repo(opts.repo);
    const comment = this.core.store.comments.get(opts.id);
    const issue = comment ? this.core.store.issues.get(comment.issueId) : undefined;
    if (!comment || !issue || issue.repoId !== repo.id)
      throw new ForgeError(404, `no comment ${opts.id} in ${opts.repo}`);
    editComment(this.core, repo, issue, comment, this.user(opts.author), opts.body);
    return toComment(this.core, repo, issue, comment);
  }

  createHook(fullName: string, hook: NewHook) {
    const result = addHook(this.core, this.repo(fullName).id, hook);
    if (Array.isArray(result)) throw new ForgeError(result[0], result[1]);
    return toHook(result);
  }

  fault(fault: Fault): void {
    this.core.faults.set(fault);
  }

  clearFault(): void {
    this.core.faults.clear();
  }

  requests(filter: { kind?: LoggedRequest['kind'] } = {}): LoggedRequest[] {
    return this.core.log.list(filter);
  }

  clearRequests(): void {
    this.core.log.clear();
  }

  deliveries(): Delivery[] {
    return [...this.core.webhooks.deliveries];
  }

  /** Wait until every webhook queued so far was delivered (or failed). */
  async flushDeliveries(): Promise<Delivery[]> {
    await this.core.webhooks.idle();
    return this.deliveries();
  }

  /** Move the stand-in's clock forward (timestamps are whole seconds). */
  advanceClock(ms: number): void {
    this.core.store.clock.advance(ms);
  }

  tokens(): Record<string, string> {
    return Object.fromEntries([...this.core.store.users.values()].map((u) => [u.login, u.token]));
  }

  repos(): string[] {
    return [...this.core.store.repos.values()].map((r) => this.core.store.fullName(r));
  }

  private async addRepo(source: string, name: string, opts: ImportOptions): Promise<RepoHandle> {
    const { store } = this.core;
    if (!NAME_RE.test(name)) throw new ForgeError(422, `invalid repository name ${JSON.stringify(name)}`);
    const owner = store.userByLogin(opts.owner);
    const org = owner ? undefined : store.orgByName(opts.owner);
    if (!owner && !org) throw new ForgeError(404, `no user or org ${opts.owner}`);
    if (store.repoByName(opts.owner, name))
      throw new ForgeError(409, `repository ${opts.owner}/${name} already exists`);
    if (!existsSync(source)) throw new ForgeError(404, `no repository at ${source}`);
    const dir = path.join(this.core.reposDir, opts.owner.toLowerCase(), `${name.toLowerCase()}.git`);
    await mkdir(path.dirname(dir), { recursive: true });
    await cloneBare(source, dir);
    const head = await git(dir, ['symbolic-ref', '--short', 'HEAD']).catch(() => 'main');
    const now = store.clock.unix();
    const repo: RepoRec = {
      id: store.nextId('repo'),
      ownerId: owner?.id ?? org?.id ?? 0,
      ownerIsOrg: !owner,
      name,
      description: opts.description ?? '',
      private: opts.private ?? false,
      archived: false,
      archivedUnix: 0,
      dir,
      defaultBranch: head,
      createdUnix: now,
      updatedUnix: now,
      collaborators: new Map(),
      nextIndex: 1,
    };
    store.repos.set(repo.id, repo);
    return this.handle(store.fullName(repo));
  }

  private async pullJson(repo: RepoRec, issue: IssueRec) {
    return toPull(this.core, repo, issue, await listRefs(repo.dir), null, repoAccess(this.core.store, repo, null));
  }

  private user(login: string): UserRec {
    const u = this.core.store.userByLogin(login);
    if (!u) throw new ForgeError(404, `no user ${login}`);
    return u;
  }

  private org(name: string) {
    const o = this.core.store.orgByName(name);
    if (!o) throw new ForgeError(404, `no org ${name}`);
    return o;
  }

  private repo(fullName: string): RepoRec {
    const [owner = '', name = ''] = fullName.split('/');
    const r = this.core.store.repoByName(owner, name);
    if (!r) throw new ForgeError(404, `no repository ${fullName}`);
    return r;
  }

  private issue(repo: RepoRec, index: number): IssueRec {
    const i = this.core.store.issueByIndex(repo.id, index);
    if (!i) throw new ForgeError(404, `no issue or PR #${index} in ${this.core.store.fullName(repo)}`);
    return i;
  }
}
