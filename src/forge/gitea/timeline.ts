// Gitea's issue timeline as cc-ci needs it: the pushes to a pull request. Each is an item of type
// `pull_push` whose body is the JSON `{"is_force_push": bool, "commit_ids": [sha, …]}`
// (services/pull/comment.go CreatePushPullComment; a force push names [old, new]); `created_at`
// is the forge's own time of the push.
import type { PrPush, TimelineComment } from '../types.js';

const SHA = /^[0-9a-f]{7,64}$/i;

export function pushesOf(items: readonly TimelineComment[]): PrPush[] {
  return items.flatMap((item) => {
    if (item.type !== 'pull_push' || !item.created_at) return [];
    const content = parseContent(item.body);
    return [{ at: item.created_at, commits: content.commits, force: content.force }];
  });
}

/** A body that is not the JSON Gitea writes still counts as a push, naming no commits. */
function parseContent(body: string | undefined): { commits: string[]; force: boolean } {
  try {
    const json = JSON.parse(body ?? '') as { is_force_push?: unknown; commit_ids?: unknown };
    const ids = Array.isArray(json.commit_ids) ? json.commit_ids : [];
    return {
      commits: ids.filter((id): id is string => typeof id === 'string' && SHA.test(id)).map((id) => id.toLowerCase()),
      force: json.is_force_push === true,
    };
  } catch {
    return { commits: [], force: false };
  }
}
