import { describe, expect, it, vi } from 'vitest';
import { mayTrigger, type TrustDeps } from '../../../src/trigger/trust.js';

function deps(member: boolean | 'unknown' | Error, over: Partial<TrustDeps> = {}) {
  const isOrgMember = vi.fn(async (_org: string, _user: string) => {
    if (member instanceof Error) throw member;
    return member;
  });
  return { org: 'coop-cloud', allowlist: ['Decentral1se', 'trav'], bot: 'cc-ci-bot', isOrgMember, ...over };
}

describe('mayTrigger', () => {
  it('never the bot itself, in any case, without asking the forge', async () => {
    const d = deps(true);
    for (const login of ['cc-ci-bot', 'CC-CI-Bot']) {
      expect(await mayTrigger(login, d)).toEqual({ allowed: false, why: `${login} is the bot itself` });
    }
    expect(d.isOrgMember).not.toHaveBeenCalled();
  });

  it('not the bot even when the bot is on the allowlist', async () => {
    expect((await mayTrigger('cc-ci-bot', deps(true, { allowlist: ['cc-ci-bot'] }))).allowed).toBe(false);
  });

  it('the allowlist, case-insensitively, without asking the forge', async () => {
    const d = deps(false);
    for (const login of ['decentral1se', 'DECENTRAL1SE', 'trav']) {
      expect(await mayTrigger(login, d)).toEqual({ allowed: true, why: `${login} is on the allowlist` });
    }
    expect(d.isOrgMember).not.toHaveBeenCalled();
  });

  it('a member of forge.org, asked per comment', async () => {
    const d = deps(true);
    expect(await mayTrigger('alice', d)).toEqual({ allowed: true, why: 'alice is a member of coop-cloud' });
    await mayTrigger('alice', d);
    expect(d.isOrgMember).toHaveBeenCalledTimes(2);
    expect(d.isOrgMember).toHaveBeenCalledWith('coop-cloud', 'alice');
  });

  it('not a non-member', async () => {
    expect(await mayTrigger('mallory', deps(false))).toEqual({
      allowed: false,
      why: 'mallory is neither a member of coop-cloud nor on the allowlist',
    });
  });

  it('not when membership cannot be told', async () => {
    expect(await mayTrigger('alice', deps('unknown'))).toEqual({
      allowed: false,
      why: 'cannot tell: the bot account is not a member of coop-cloud',
    });
  });

  it('not when the check throws; why carries the error', async () => {
    const decision = await mayTrigger('alice', deps(new Error('forge unreachable: ECONNREFUSED')));
    expect(decision.allowed).toBe(false);
    expect(decision.why).toContain('forge unreachable: ECONNREFUSED');
  });

  it('not when the check rejects with a non-Error', async () => {
    const d = { ...deps(true), isOrgMember: () => Promise.reject('boom') };
    expect(await mayTrigger('alice', d)).toMatchObject({ allowed: false, why: expect.stringContaining('boom') });
  });

  it('not for an empty login', async () => {
    const d = deps(true, { bot: '' });
    expect((await mayTrigger('', d)).allowed).toBe(false);
    expect(d.isOrgMember).not.toHaveBeenCalled();
  });

  it('only a literal true is membership', async () => {
    const d = { ...deps(true), isOrgMember: async () => 'yes' as unknown as boolean };
    expect((await mayTrigger('alice', d)).allowed).toBe(false);
  });
});
