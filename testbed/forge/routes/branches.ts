// One branch, routers/api/v1/repo/branch.go GetBranch: the branch as services/convert ToBranch
// writes it, its head commit a PayloadCommit; a branch that does not exist is 404 with
// `branch does not exist [repo_id: … name: …]`. Branch protection is not modelled: every
// branch is unprotected, and the caller may push and merge where it may write.
import type { Branch, PayloadCommit } from 'gitea-js';
import { atLeast } from '../access.js';
import { git, resolveCommit } from '../git.js';
import type { Route } from '../route.js';
import type { Wire } from '../wire.js';
import { loadRepo } from './common.js';

export const branchRoutes: Route[] = [
  {
    method: 'GET',
    path: '/repos/:owner/:repo/branches/:branch',
    handler: async (ctx) => {
      const rc = loadRepo(ctx);
      if (!rc) return;
      const name = ctx.params.branch ?? '';
      const sha = name.startsWith('-') ? undefined : await resolveCommit(rc.repo.dir, `refs/heads/${name}`);
      if (!sha) return ctx.reply.notFound(`branch does not exist [repo_id: ${rc.repo.id} name: ${name}]`);
      // %an, %ae, %cn, %ce, the committer date (strict ISO 8601), the message: NUL between.
      const out = await git(rc.repo.dir, ['log', '-1', '--format=%an%x00%ae%x00%cn%x00%ce%x00%cI%x00%B', sha]);
      const [an = '', ae = '', cn = '', ce = '', date = '', message = ''] = out.split('\0');
      const owner = encodeURIComponent(ctx.core.store.ownerName(rc.repo));
      const commit: Wire<PayloadCommit> = {
        id: sha,
        message: message.endsWith('\n') ? message : `${message}\n`,
        url: `${ctx.core.appUrl}${owner}/${encodeURIComponent(rc.repo.name)}/commit/${sha}`,
        author: { name: an, email: ae, username: '' },
        committer: { name: cn, email: ce, username: '' },
        verification: null,
        timestamp: date,
        added: null,
        removed: null,
        modified: null,
      };
      const canWrite = atLeast(rc.mode, 'write');
      const body: Wire<Branch> = {
        name,
        commit,
        protected: false,
        required_approvals: 0,
        enable_status_check: false,
        status_check_contexts: [],
        user_can_push: canWrite,
        user_can_merge: canWrite,
        effective_branch_protection_name: '',
      };
      ctx.reply.json(200, body);
    },
  },
];
