// cc-ci's client for a Gitea or Forgejo forge (REST API v1): the calls the trigger and the
// reporter need, typed with gitea-js's types, over ./transport.ts (timeouts, retries, errors).
import type {
  Branch,
  Comment,
  CommitStatus,
  CreateIssueOption,
  CreateStatusOption,
  EditIssueOption,
  Issue,
  PullRequest,
  Repository,
  TimelineComment,
  User,
} from 'gitea-js';
import { CcciError } from '../../model/errors.js';
import { allPages, PAGE_LIMIT } from './paging.js';
import { commitSha, positiveInt, repoParts, repoPath, userName } from './paths.js';
import { pushesOf } from './timeline.js';
import { createTransport } from './transport.js';
import type { ForgeClient, ForgeClientOptions, StatusInput } from '../types.js';

export function createGiteaClient(opts: ForgeClientOptions): ForgeClient {
  const t = createTransport(opts);
  const toldNotMember = new Set<string>();

  const getObject = async <T>(path: string, query?: Record<string, string | undefined>) =>
    (await t.request('GET', path, { query, want: 'object' })).body as T;
  const getArray = async <T>(path: string, query?: Record<string, string | number | undefined>) =>
    (await t.request('GET', path, { query, want: 'array' })).body as T[];
  const paged = <T extends { id?: number; number?: number }>(
    path: string,
    query: Record<string, string | undefined>,
    key: (item: T) => unknown,
  ) =>
    allPages<T>(
      async (page) => {
        const { body, headers } = await t.request('GET', path, {
          query: { ...query, page, limit: PAGE_LIMIT },
          want: 'array',
        });
        return { items: body as T[], headers };
      },
      key,
      t.log,
    );

  // Every method is async, so bad input rejects like any other failure instead of throwing.
  return {
    whoAmI: async () => getObject<User>('/user'),

    // state=open explicitly: without it Gitea lists closed PRs too. Oldest first, so PRs opened
    // while we page append at the end instead of shifting every page.
    listOpenPulls: async (repo) =>
      paged<PullRequest>(repoPath(repo, 'pulls'), { state: 'open', sort: 'oldest' }, (p) => p.number ?? p.id),

    getPull: async (repo, n) => getObject<PullRequest>(repoPath(repo, 'pulls', positiveInt('pull request number', n))),

    listComments: async (repo, n, o = {}) =>
      getArray<Comment>(repoPath(repo, 'issues', positiveInt('issue number', n), 'comments'), { since: o.since }),

    // Paged only when `page` is given (otherwise Gitea returns every match at once).
    listRepoComments: async (repo, o = {}) =>
      paged<Comment>(repoPath(repo, 'issues', 'comments'), { since: o.since }, (c) => c.id),

    // The issue timeline holds a `pull_push` event per push. Without `page` Gitea returns every
    // item at once (its X-Total-Count is then the page's length, so paging could not be trusted).
    listPrPushes: async (repo, n, o = {}) =>
      pushesOf(
        await getArray<TimelineComment>(repoPath(repo, 'issues', positiveInt('pull request number', n), 'timeline'), {
          since: o.since,
        }),
      ),

    async createComment(repo, n, body) {
      // Note: a POST retried after a timeout may have been applied the first time; the caller can
      // find its comment again with listComments (the reporter edits one comment per run).
      const res = await t.request('POST', repoPath(repo, 'issues', positiveInt('issue number', n), 'comments'), {
        body: { body },
        want: 'object',
      });
      return res.body as Comment;
    },

    async editComment(repo, id, body) {
      const res = await t.request('PATCH', repoPath(repo, 'issues', 'comments', positiveInt('comment id', id)), {
        body: { body },
        want: 'object',
      });
      return res.body as Comment;
    },

    getComment: async (repo, id) =>
      getObject<Comment>(repoPath(repo, 'issues', 'comments', positiveInt('comment id', id))),

    async createIssue(repo, issue) {
      // Like createComment: a POST retried after a timeout may have been applied the first time.
      const body: CreateIssueOption = { title: issue.title, body: issue.body };
      const res = await t.request('POST', repoPath(repo, 'issues'), { body, want: 'object' });
      return res.body as Issue;
    },

    // Gitea answers 201 (not 200) to an edit; an empty title is left as it was.
    async editIssue(repo, n, edit) {
      const body: EditIssueOption = { title: edit.title, body: edit.body, state: edit.state };
      const res = await t.request('PATCH', repoPath(repo, 'issues', positiveInt('issue number', n)), {
        body,
        want: 'object',
      });
      return res.body as Issue;
    },

    getIssue: async (repo, n) => getObject<Issue>(repoPath(repo, 'issues', positiveInt('issue number', n))),

    async isOrgMember(org, user) {
      const res = await t.request('GET', `/orgs/${userName('org', org)}/members/${userName('user', user)}`, {
        expect: [204, 303, 404],
        want: 'none',
      });
      if (res.status === 204) return true;
      if (res.status === 404) return false;
      // 303 to public_members: Gitea only tells members (and admins) about private members.
      if (!toldNotMember.has(org)) {
        toldNotMember.add(org);
        t.log(
          `forge: the bot account is not a member of the org ${org}, so the forge will not say who is: ` +
            `add the bot account to ${org} (forge.org)`,
        );
      }
      return 'unknown';
    },

    async setStatus(repo, sha, s: StatusInput) {
      const body: CreateStatusOption = {
        state: s.state,
        target_url: s.targetUrl,
        description: s.description,
        context: s.context,
      };
      const res = await t.request('POST', repoPath(repo, 'statuses', commitSha(sha)), { body, want: 'object' });
      return res.body as CommitStatus;
    },

    // Newest first (Gitea's default sort), one page: enough to read back the latest per context.
    listStatuses: async (repo, sha) => getArray<CommitStatus>(repoPath(repo, 'statuses', commitSha(sha))),

    getRepo: async (repo) => getObject<Repository>(repoPath(repo)),

    async defaultBranchHead(repo) {
      const branch = (await getObject<Repository>(repoPath(repo))).default_branch ?? '';
      if (!branch)
        throw new CcciError('FORGE_REFUSED', `the forge names no default branch for ${repo} (an empty repository?)`);
      // A branch name may hold slashes (Gitea's route is /branches/*): each part its own segment.
      if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.split('/').some((p) => p === '' || p === '.' || p === '..'))
        throw new CcciError(
          'INPUT_INVALID',
          `the forge names an odd default branch for ${repo}: ${JSON.stringify(branch)}`,
        );
      const head = await getObject<Branch>(repoPath(repo, 'branches', ...branch.split('/')));
      return { branch, sha: commitSha(head.commit?.id ?? '') };
    },

    cloneUrl(repo) {
      const { owner, name } = repoParts(repo);
      return `${t.url}/${owner}/${name}.git`;
    },

    // Gitea lists an org's repositories oldest first (`id ASC`), with Link and X-Total-Count.
    listOrgRepos: async (org) => paged<Repository>(`/orgs/${userName('org', org)}/repos`, {}, (r) => r.id),

    async hasFile(repo, path) {
      // Each part its own segment, so a path can name no other route; no `ref`: the default branch.
      const parts = path.split('/');
      if (parts.some((p) => !/^[A-Za-z0-9_.-]+$/.test(p) || p === '.' || p === '..'))
        throw new CcciError('INPUT_INVALID', `not a file path in a repository: ${JSON.stringify(path)}`);
      const res = await t.request('GET', repoPath(repo, 'contents', ...parts), { expect: [200, 404], want: 'none' });
      return res.status === 200;
    },
  };
}
