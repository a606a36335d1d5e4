// Gitea's comment list in cc-ci's words: the PR a comment is on comes from its pull_request_url.
import { describe, expect, it } from 'vitest';
import { listedComments, prNumber } from '../../../src/forge/gitea/comments.js';

describe('gitea comments', () => {
  it('reads the PR number from the comment', () => {
    expect(prNumber('http://forge/o/r/pulls/12')).toBe(12);
    expect(prNumber('')).toBeUndefined();
    expect(prNumber('http://forge/o/r/issues/12')).toBeUndefined();
  });

  it('keeps what the poller needs, and leaves out a comment without an id', () => {
    expect(
      listedComments([
        {
          id: 7,
          body: '!testme',
          user: { login: 'maintainer' },
          created_at: '2026-11-30T09:59:00Z',
          updated_at: '2026-11-30T10:00:00Z',
          pull_request_url: 'http://forge/o/r/pulls/3',
        },
        { id: 8, issue_url: 'http://forge/o/r/issues/4' },
        { body: 'no id' },
      ]),
    ).toEqual([
      {
        commentId: 7,
        pr: 3,
        body: '!testme',
        user: 'maintainer',
        createdAt: '2026-11-30T09:59:00Z',
        updatedAt: '2026-11-30T10:00:00Z',
      },
      { commentId: 8, pr: undefined, body: '', user: '', createdAt: '', updatedAt: undefined },
    ]);
  });
});
