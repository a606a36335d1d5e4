// The live enrolment: the listed repositories and the orgs' discovered ones merged, change events
// naming what came and went, an org's repositories kept until its first discovery.
import { describe, expect, it } from 'vitest';
import { Enrolment, type EnrolmentChange } from '../../../src/config/enrolment.js';

describe('Enrolment', () => {
  it('merges the listed repositories with each org discovery, and tells listeners what changed', () => {
    const e = new Enrolment(['other/x'], ['coop-cloud']);
    const seen: EnrolmentChange[] = [];
    const off = e.onChange((c) => seen.push(c));
    expect(e.list()).toEqual(['other/x']);
    e.discovered('coop-cloud', ['coop-cloud/b', 'Coop-Cloud/A']);
    expect(e.list()).toEqual(['other/x', 'coop-cloud/b', 'coop-cloud/a']);
    expect(e.has('COOP-CLOUD/A')).toBe(true);
    expect(e.repoOf('a')).toBe('coop-cloud/a');
    // The same again: no event.
    e.discovered('coop-cloud', ['coop-cloud/a', 'coop-cloud/b']);
    e.discovered('coop-cloud', ['coop-cloud/a']);
    expect(seen).toEqual([
      { added: ['coop-cloud/a', 'coop-cloud/b'], removed: [] },
      { added: [], removed: ['coop-cloud/b'] },
    ]);
    off();
    e.discovered('coop-cloud', []);
    expect(seen).toHaveLength(2);
  });

  it('a reload: an org no longer named loses its recipes; a discovery of an org not named is ignored', () => {
    const e = new Enrolment([], ['coop-cloud']);
    e.discovered('coop-cloud', ['coop-cloud/a']);
    expect(e.configure(['other/x'], [])).toEqual({ added: ['other/x'], removed: ['coop-cloud/a'] });
    expect(e.discovered('coop-cloud', ['coop-cloud/a'])).toEqual({ added: [], removed: [] });
    expect(e.list()).toEqual(['other/x']);
  });

  it("keeps an org's repositories that were listed until the org's first discovery", () => {
    const e = new Enrolment(['coop-cloud/a', 'other/x'], []);
    expect(e.configure([], ['coop-cloud'])).toEqual({ added: [], removed: ['other/x'] });
    expect(e.has('coop-cloud/a')).toBe(true);
    expect(e.discovered('coop-cloud', ['coop-cloud/b'])).toEqual({
      added: ['coop-cloud/b'],
      removed: ['coop-cloud/a'],
    });
  });
});
