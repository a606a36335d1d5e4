// Gitea's comments as the poller needs them: a repository's comment list mixes issues and pull
// requests, and only `pull_request_url` (ending in /pulls/<n>) says which PR a comment is on.
import type { ListedComment } from '../forge.js';
import type { Comment } from '../types.js';

/** The PR number of a comment on a pull request (its pull_request_url ends in /pulls/<n>). */
export function prNumber(url: string | undefined): number | undefined {
  const m = /\/pulls\/(\d+)\/?$/.exec(url ?? '');
  return m ? Number(m[1]) : undefined;
}

/** Gitea's comments in cc-ci's words; one without an id cannot be claimed, so it is left out. */
export function listedComments(comments: readonly Comment[]): ListedComment[] {
  return comments.flatMap((c) =>
    c.id === undefined
      ? []
      : [
          {
            commentId: c.id,
            pr: prNumber(c.pull_request_url),
            body: c.body ?? '',
            user: c.user?.login ?? '',
            createdAt: c.created_at ?? '',
            updatedAt: c.updated_at,
          },
        ],
  );
}
