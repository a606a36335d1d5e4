// Who may start a run with a comment: never the bot itself, always the allowlist, otherwise the
// members of forge.org, asked of the forge per comment (membership can change at any time).
import { errorMessage } from '../model/errors.js';

export interface TrustDeps {
  /** forge.org */
  org: string;
  /** forge.allowlist: logins that may trigger without being members. */
  allowlist: string[];
  /** The bot's own login; its comments (replies, usage texts) never trigger. */
  bot: string;
  /** Whether `user` is a member of `org`; 'unknown' when the bot cannot see the membership. */
  isOrgMember: (org: string, user: string) => Promise<boolean | 'unknown'>;
}

export interface TrustDecision {
  allowed: boolean;
  /** Why, for the log. */
  why: string;
}

/** Whether a comment by `user` may start a run. Never throws: a failed check is "not allowed". */
export async function mayTrigger(user: string, deps: TrustDeps): Promise<TrustDecision> {
  const login = user.toLowerCase();
  if (login === '') return { allowed: false, why: 'the comment has no author' };
  if (login === deps.bot.toLowerCase()) return { allowed: false, why: `${user} is the bot itself` };
  if (deps.allowlist.some((a) => a.toLowerCase() === login))
    return { allowed: true, why: `${user} is on the allowlist` };
  if (deps.org === '') return { allowed: false, why: `${user} is not on the allowlist and no forge.org is configured` };
  let member: boolean | 'unknown';
  try {
    member = await deps.isOrgMember(deps.org, user);
  } catch (err) {
    return { allowed: false, why: `cannot tell whether ${user} is a member of ${deps.org}: ${errorMessage(err)}` };
  }
  if (member === true) return { allowed: true, why: `${user} is a member of ${deps.org}` };
  if (member === 'unknown')
    return { allowed: false, why: `cannot tell: the bot account is not a member of ${deps.org}` };
  return { allowed: false, why: `${user} is neither a member of ${deps.org} nor on the allowlist` };
}
