// The reply to a `!testme` on a pull request that was pushed to after the comment was written:
// nothing runs (the commit the maintainer saw is not the head any more), and they are asked to
// look at the new commits and comment again. Only forge-checked values go in: the author's login
// (as every reply mentions it), a time the forge gave (re-printed from a Date) and a hex sha.
import type { PrPush } from '../forge/types.js';
import type { PrComment } from '../forge/forge.js';
import { TRIGGER_WORD } from './grammar.js';

export function movedReply(c: Pick<PrComment, 'user'>, late: readonly PrPush[], head: string): string {
  const first = late.map((p) => Date.parse(p.at)).find((t) => !Number.isNaN(t));
  const when = first === undefined ? '' : ` (at ${new Date(first).toISOString().replace(/\.\d{3}Z$/, 'Z')})`;
  const sha = /^[0-9a-f]{7,64}$/i.test(head) ? ` Its head is now \`${head.slice(0, 8)}\`.` : '';
  return (
    `@${c.user} this pull request was pushed to after your \`${TRIGGER_WORD}\`${when}, so nothing was started: ` +
    `cc-ci tests only the commit that was the head when \`${TRIGGER_WORD}\` was written.${sha} ` +
    `Look at the new commits, then comment \`${TRIGGER_WORD}\` again to test them.`
  );
}
