// The stand-in's database: in-memory tables with Gitea's id spaces (users and orgs share one,
// as they share Gitea's `user` table; issues and PRs share a per-repository index) and a clock
// that tests can move forward (timestamps are whole seconds, as in Gitea).
import { randomBytes } from 'node:crypto';
import type { CommentRec, HookRec, IssueRec, OrgRec, PushRec, RepoRec, StatusRec, UserRec } from './types.js';

export class Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  unix(): number {
    return Math.floor(this.now() / 1000);
  }
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`clock can only move forward, not by ${ms}`);
    this.offsetMs += ms;
  }
}

export class Store {
  readonly clock = new Clock();
  readonly users = new Map<number, UserRec>();
  readonly orgs = new Map<number, OrgRec>();
  readonly repos = new Map<number, RepoRec>();
  readonly issues = new Map<number, IssueRec>();
  readonly comments = new Map<number, CommentRec>();
  /** Pushes to PRs (timeline `pull_push` events); ids from the comments' sequence, as in Gitea. */
  readonly pushes = new Map<number, PushRec>();
  readonly statuses: StatusRec[] = [];
  readonly hooks = new Map<number, HookRec>();
  private seq = { user: 0, repo: 0, issue: 0, pull: 0, comment: 0, status: 0, hook: 0 };

  nextId(kind: keyof Store['seq']): number {
    return ++this.seq[kind];
  }

  /** A new API token: 40 hex characters like Gitea's. */
  newToken(): string {
    return randomBytes(20).toString('hex');
  }

  userByLogin(login: string): UserRec | undefined {
    const lower = login.toLowerCase();
    for (const u of this.users.values()) if (u.login.toLowerCase() === lower) return u;
    return undefined;
  }

  userByToken(token: string): UserRec | undefined {
    for (const u of this.users.values()) if (u.token === token) return u;
    return undefined;
  }

  orgByName(name: string): OrgRec | undefined {
    const lower = name.toLowerCase();
    for (const o of this.orgs.values()) if (o.name.toLowerCase() === lower) return o;
    return undefined;
  }

  /** A user or org name is taken (Gitea names are unique across both, case-insensitively). */
  nameTaken(name: string): boolean {
    return this.userByLogin(name) !== undefined || this.orgByName(name) !== undefined;
  }

  ownerName(repo: RepoRec): string {
    const owner = repo.ownerIsOrg ? this.orgs.get(repo.ownerId)?.name : this.users.get(repo.ownerId)?.login;
    if (!owner) throw new Error(`repository ${repo.id} has no owner`);
    return owner;
  }

  fullName(repo: RepoRec): string {
    return `${this.ownerName(repo)}/${repo.name}`;
  }

  repoByName(owner: string, name: string): RepoRec | undefined {
    const o = owner.toLowerCase();
    const n = name.toLowerCase();
    for (const r of this.repos.values()) {
      if (this.ownerName(r).toLowerCase() === o && r.name.toLowerCase() === n) return r;
    }
    return undefined;
  }

  issueByIndex(repoId: number, index: number): IssueRec | undefined {
    for (const i of this.issues.values()) if (i.repoId === repoId && i.index === index) return i;
    return undefined;
  }

  issuesOf(repoId: number): IssueRec[] {
    return [...this.issues.values()].filter((i) => i.repoId === repoId);
  }

  /** Comments of one issue, oldest first (created, then id), as FindComments orders them. */
  commentsOf(issueId: number): CommentRec[] {
    return [...this.comments.values()]
      .filter((c) => c.issueId === issueId)
      .sort((a, b) => a.createdUnix - b.createdUnix || a.id - b.id);
  }

  /** Pushes to one PR, oldest first (created, then id). */
  pushesOf(issueId: number): PushRec[] {
    return [...this.pushes.values()]
      .filter((p) => p.issueId === issueId)
      .sort((a, b) => a.createdUnix - b.createdUnix || a.id - b.id);
  }

  hooksOf(repoId: number): HookRec[] {
    return [...this.hooks.values()].filter((h) => h.repoId === repoId).sort((a, b) => a.id - b.id);
  }
}
