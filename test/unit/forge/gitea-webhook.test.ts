import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readCommentEvent, readPushEvent, verifySignature } from '../../../src/forge/gitea/webhook.js';

const secret = 'hook-secret-0123';
const sign = (bytes: Buffer | string, key = secret) => createHmac('sha256', key).update(bytes).digest('hex');

function user(id: number, login: string) {
  return {
    id,
    login,
    login_name: '',
    source_id: 0,
    full_name: '',
    email: `${login}@noreply.localhost`,
    avatar_url: `https://git.example.org/avatars/${id}`,
    html_url: `https://git.example.org/${login}`,
    language: '',
    is_admin: false,
    last_login: '0001-01-01T00:00:00Z',
    created: '2024-05-01T10:00:00Z',
    restricted: false,
    active: false,
    prohibit_login: false,
    location: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: login,
  };
}

/** An issue_comment payload as Gitea 1.2x sends it (modules/structs/hook.go IssueCommentPayload). */
function payload(opts: { action?: string; pull?: boolean; body?: string } = {}) {
  const pull = opts.pull ?? true;
  const html = `https://git.example.org/coop-cloud/custom-html/${pull ? 'pulls' : 'issues'}/7`;
  const p: Record<string, unknown> = {
    action: opts.action ?? 'created',
    issue: {
      id: 41,
      url: 'https://git.example.org/api/v1/repos/coop-cloud/custom-html/issues/7',
      html_url: html,
      number: 7,
      user: user(3, 'alice'),
      original_author: '',
      original_author_id: 0,
      title: 'Bump nginx',
      body: '',
      ref: '',
      assets: [],
      labels: [],
      milestone: null,
      assignee: null,
      assignees: null,
      state: 'open',
      is_locked: false,
      comments: 2,
      created_at: '2026-01-10T09:00:00Z',
      updated_at: '2026-01-10T09:05:00Z',
      closed_at: null,
      due_date: null,
      pull_request: pull ? { merged: false, merged_at: null, draft: false, html_url: html } : null,
      repository: { id: 5, name: 'custom-html', owner: 'coop-cloud', full_name: 'coop-cloud/custom-html' },
      pin_order: 0,
    },
    comment: {
      id: 1234,
      html_url: `${html}#issuecomment-1234`,
      pull_request_url: pull ? html : '',
      issue_url: pull ? '' : html,
      user: user(4, 'Bob'),
      original_author: '',
      original_author_id: 0,
      body: opts.body ?? 'lgtm\r\n\r\n!testme --quick',
      assets: [],
      created_at: '2026-01-10T09:05:00Z',
      updated_at: '2026-01-10T09:05:00Z',
    },
    repository: {
      id: 5,
      owner: user(2, 'coop-cloud'),
      name: 'custom-html',
      full_name: 'coop-cloud/custom-html',
      description: '',
      empty: false,
      private: false,
      fork: false,
      template: false,
      parent: null,
      mirror: false,
      size: 40,
      html_url: 'https://git.example.org/coop-cloud/custom-html',
      clone_url: 'https://git.example.org/coop-cloud/custom-html.git',
      default_branch: 'main',
      permissions: { admin: false, push: false, pull: true },
    },
    sender: user(4, 'Bob'),
    is_pull: pull,
  };
  if (p.action === 'edited') p.changes = { body: { from: 'lgtm' } };
  return p;
}

function giteaHeaders(eventType: string, sig: string, event = 'issue_comment'): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-gitea-delivery': 'f3c4a0b2-1111-2222-3333-444455556666',
    'x-gitea-event': event,
    'x-gitea-event-type': eventType,
    'x-gitea-signature': sig,
    'x-gogs-event': event,
    'x-gogs-signature': sig,
    'x-hub-signature-256': `sha256=${sig}`,
    'x-github-event': event,
  };
}

describe('verifySignature', () => {
  const raw = Buffer.from(JSON.stringify(payload(), null, 2));
  const sig = sign(raw);

  it('accepts the HMAC of the exact bytes', () => {
    expect(verifySignature(raw, giteaHeaders('pull_request_comment', sig), secret)).toBe(true);
    expect(verifySignature(raw, { 'x-gitea-signature': sig }, secret)).toBe(true);
  });

  it('accepts X-Forgejo-Signature, and any header case', () => {
    expect(verifySignature(raw, { 'x-forgejo-signature': sig }, secret)).toBe(true);
    expect(verifySignature(raw, { 'X-Gitea-Signature': sig }, secret)).toBe(true);
    expect(verifySignature(raw, { 'x-gitea-signature': 'f'.repeat(64), 'x-forgejo-signature': sig }, secret)).toBe(
      true,
    );
  });

  it('fails when one byte changed', () => {
    const changed = Buffer.from(raw);
    changed[10] = changed[10]! ^ 0x01;
    expect(verifySignature(changed, { 'x-gitea-signature': sig }, secret)).toBe(false);
    // Re-serialised JSON with the same meaning is different bytes.
    expect(verifySignature(Buffer.from(JSON.stringify(payload())), { 'x-gitea-signature': sig }, secret)).toBe(false);
  });

  it('fails with another secret, or an empty one', () => {
    expect(verifySignature(raw, { 'x-gitea-signature': sig }, 'other')).toBe(false);
    expect(verifySignature(raw, { 'x-gitea-signature': sign(raw, '') }, '')).toBe(false);
    expect(verifySignature(raw, { 'x-gitea-signature': '' }, '')).toBe(false);
  });

  it.each([
    ['a sha256= prefix', `sha256=${sig}`],
    ['upper-case hex', sig.toUpperCase()],
    ['a short signature', sig.slice(0, 63)],
    ['a long signature', `${sig}00`],
    ['non-hex', `${sig.slice(0, 62)}zz`],
    ['an empty signature', ''],
    ['whitespace', ` ${sig}`],
    ['a sha1', createHmac('sha1', secret).update(raw).digest('hex')],
  ])('fails with %s, without throwing', (_what, value) => {
    expect(verifySignature(raw, { 'x-gitea-signature': value }, secret)).toBe(false);
  });

  it('fails without the header, never reading X-Hub-Signature-256', () => {
    expect(verifySignature(raw, {}, secret)).toBe(false);
    expect(verifySignature(raw, { 'x-gitea-signature': undefined }, secret)).toBe(false);
    expect(verifySignature(raw, { 'x-hub-signature-256': `sha256=${sig}` }, secret)).toBe(false);
  });

  it('fails on a repeated header', () => {
    expect(verifySignature(raw, { 'x-gitea-signature': [sig, sig] }, secret)).toBe(false);
    expect(verifySignature(raw, { 'x-gitea-signature': [sig] }, secret)).toBe(true);
  });

  it('an empty body verifies against its own HMAC', () => {
    expect(verifySignature(Buffer.alloc(0), { 'x-gitea-signature': sign('') }, secret)).toBe(true);
  });

  it('never throws on junk', () => {
    expect(verifySignature('not a buffer' as unknown as Buffer, { 'x-gitea-signature': sig }, secret)).toBe(false);
    expect(verifySignature(raw, { 'x-gitea-signature': 42 as unknown as string }, secret)).toBe(false);
  });
});

describe('readCommentEvent', () => {
  const headers = giteaHeaders('pull_request_comment', 'x');

  it('a new comment on a PR is an event', () => {
    expect(readCommentEvent(headers, payload())).toEqual({
      repo: 'coop-cloud/custom-html',
      pr: 7,
      commentId: 1234,
      body: 'lgtm\r\n\r\n!testme --quick',
      user: 'Bob',
      createdAt: '2026-01-10T09:05:00Z',
      deliveryId: 'f3c4a0b2-1111-2222-3333-444455556666',
    });
  });

  it("the repository in lower case (Gitea compares names without case), Forgejo's delivery id, no odd id", () => {
    const upper = payload();
    (upper.repository as { full_name: string }).full_name = 'Coop-Cloud/Custom-HTML';
    expect(readCommentEvent(headers, upper)?.repo).toBe('coop-cloud/custom-html');
    const forgejo: Record<string, string> = { ...headers, 'x-forgejo-delivery': 'abc-123' };
    delete forgejo['x-gitea-delivery'];
    expect(readCommentEvent(forgejo, payload())?.deliveryId).toBe('abc-123');
    const odd = { ...headers, 'x-gitea-delivery': 'id\nforged log line' };
    expect(readCommentEvent(odd, payload())).not.toHaveProperty('deliveryId');
  });

  it('reads a JSON string body too', () => {
    expect(readCommentEvent(headers, JSON.stringify(payload(), null, 2))?.commentId).toBe(1234);
    expect(readCommentEvent(headers, '{not json')).toBeUndefined();
  });

  it('accepts the X-Forgejo-* headers', () => {
    expect(
      readCommentEvent(
        { 'x-forgejo-event': 'issue_comment', 'x-forgejo-event-type': 'pull_request_comment' },
        payload(),
      )?.pr,
    ).toBe(7);
  });

  it('without X-Gitea-Event-Type, is_pull decides', () => {
    expect(readCommentEvent({ 'x-gitea-event': 'issue_comment' }, payload())?.pr).toBe(7);
    expect(readCommentEvent({ 'x-gitea-event': 'issue_comment' }, payload({ pull: false }))).toBeUndefined();
    const noFlag = payload();
    delete noFlag.is_pull;
    expect(readCommentEvent({ 'x-gitea-event': 'issue_comment' }, noFlag)).toBeUndefined();
  });

  it('ignores edited and deleted comments', () => {
    expect(readCommentEvent(headers, payload({ action: 'edited' }))).toBeUndefined();
    expect(readCommentEvent(headers, payload({ action: 'deleted' }))).toBeUndefined();
  });

  it('ignores a comment on an issue', () => {
    expect(readCommentEvent(giteaHeaders('issue_comment', 'x'), payload({ pull: false }))).toBeUndefined();
    // The event type header wins over the payload.
    expect(readCommentEvent(giteaHeaders('issue_comment', 'x'), payload())).toBeUndefined();
  });

  it.each([
    ['push', 'push'],
    ['issues', 'issues'],
    ['pull_request', 'pull_request'],
    ['review comment', 'pull_request_comment'],
  ])('ignores other events: %s', (_what, event) => {
    expect(readCommentEvent(giteaHeaders(event, 'x', event), payload())).toBeUndefined();
  });

  it('ignores a delivery without an event header', () => {
    expect(readCommentEvent({ 'x-github-event': 'issue_comment' }, payload())).toBeUndefined();
  });

  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const broken = (edit: (p: Record<string, any>) => void) => {
    const p = payload();
    edit(p);
    return p;
  };

  it.each([
    ['null', null],
    ['a number', 42],
    ['an array', [payload()]],
    ['an empty object', {}],
    ['no comment', broken((p) => delete p.comment)],
    [
      'comment null',
      broken((p) => {
        p.comment = null;
      }),
    ],
    [
      'comment id a string',
      broken((p) => {
        p.comment.id = '1234';
      }),
    ],
    [
      'comment id fractional',
      broken((p) => {
        p.comment.id = 1.5;
      }),
    ],
    ['no comment user', broken((p) => delete p.comment.user)],
    [
      'empty login',
      broken((p) => {
        p.comment.user.login = '';
      }),
    ],
    [
      'body not a string',
      broken((p) => {
        p.comment.body = { text: '!testme' };
      }),
    ],
    ['no created_at', broken((p) => delete p.comment.created_at)],
    [
      'issue number 0',
      broken((p) => {
        p.issue.number = 0;
      }),
    ],
    ['no repository', broken((p) => delete p.repository)],
    [
      'full_name without owner',
      broken((p) => {
        p.repository.full_name = 'custom-html';
      }),
    ],
    [
      'full_name with a path',
      broken((p) => {
        p.repository.full_name = 'a/b/c';
      }),
    ],
    ['action missing', broken((p) => delete p.action)],
  ])('ignores a malformed payload: %s', (_what, body) => {
    expect(readCommentEvent(headers, body)).toBeUndefined();
  });
});

describe('readPushEvent', () => {
  const after = 'a'.repeat(40);
  // Gitea's PushPayload (modules/structs/hook.go), as delivered with `X-Gitea-Event: push`.
  const pushPayload = (ref = 'refs/heads/main', to = after) => ({
    ref,
    before: 'b'.repeat(40),
    after: to,
    compare_url: 'https://git.example.org/coop-cloud/custom-html/compare/bbb...aaa',
    commits: [],
    total_commits: 1,
    head_commit: null,
    repository: { id: 3, full_name: 'Coop-Cloud/Custom-HTML', default_branch: 'main' },
    pusher: user(2, 'maintainer'),
    sender: user(2, 'maintainer'),
  });
  const headers = { 'X-Gitea-Event': 'push', 'X-Gitea-Event-Type': 'push', 'X-Gitea-Delivery': 'd-1' };

  it('reads a push to the default branch: the repository in lower case, the branch, the new head', () => {
    expect(readPushEvent(headers, pushPayload())).toEqual({
      repo: 'coop-cloud/custom-html',
      branch: 'main',
      sha: after,
      deliveryId: 'd-1',
    });
    expect(readPushEvent({ 'x-forgejo-event': 'push' }, JSON.stringify(pushPayload()))?.sha).toBe(after);
  });
  it('ignores another branch, a tag, a deleted branch, another event and a payload of the wrong shape', () => {
    expect(readPushEvent(headers, pushPayload('refs/heads/pr-1'))).toBeUndefined();
    expect(readPushEvent(headers, pushPayload('refs/tags/1.0.0'))).toBeUndefined();
    expect(readPushEvent(headers, pushPayload('refs/heads/main', '0'.repeat(40)))).toBeUndefined();
    expect(readPushEvent({ 'X-Gitea-Event': 'issue_comment' }, pushPayload())).toBeUndefined();
    expect(readPushEvent(headers, { ...pushPayload(), after: 'not-a-sha' })).toBeUndefined();
    expect(readPushEvent(headers, '{not json')).toBeUndefined();
  });
});
