// Forges by forge.type: gitea and forgejo are both the Gitea client (Forgejo speaks its API v1
// and sends its webhooks), whose webhooks and comment list speak cc-ci's words.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createForge } from '../../../src/forge/registry.js';

describe('forge registry', () => {
  it.each(['gitea', 'forgejo'] as const)('%s is the Gitea client, with its webhooks', (type) => {
    const forge = createForge(type, { url: 'https://git.example.org/', token: 't0ken' });
    expect(forge.client.cloneUrl('coop-cloud/custom-html')).toBe('https://git.example.org/coop-cloud/custom-html.git');
    const body = Buffer.from('{}');
    const signature = createHmac('sha256', 'hook-secret').update(body).digest('hex');
    expect(forge.webhooks.verify(body, { 'X-Forgejo-Signature': signature }, 'hook-secret')).toBe(true);
    expect(forge.webhooks.verify(body, { 'X-Gitea-Signature': signature }, 'other')).toBe(false);
  });

  it("lists a repository's comments with the PR each is on", async () => {
    const asked: string[] = [];
    const fetch = async (url: string | URL | Request) => {
      asked.push(String(url));
      return new Response(
        JSON.stringify([
          {
            id: 1,
            body: '!testme',
            user: { login: 'm' },
            created_at: '2026-01-01T00:00:00Z',
            updated_at: '2026-01-01T00:00:00Z',
            pull_request_url: 'https://git.example.org/o/r/pulls/4',
          },
          {
            id: 2,
            body: 'hi',
            user: { login: 'm' },
            created_at: '2026-01-01T00:00:01Z',
            updated_at: '2026-01-01T00:00:01Z',
            pull_request_url: '',
          },
        ]),
        { status: 200, headers: { 'content-type': 'application/json', 'x-total-count': '2' } },
      );
    };
    const forge = createForge('gitea', {
      url: 'https://git.example.org',
      token: 't0ken',
      fetch: fetch as typeof globalThis.fetch,
    });
    expect(await forge.commentsSince('o/r', '2026-01-01T00:00:00Z')).toEqual([
      {
        commentId: 1,
        pr: 4,
        body: '!testme',
        user: 'm',
        createdAt: '2026-01-01T00:00:00Z',
        updatedAt: '2026-01-01T00:00:00Z',
      },
      {
        commentId: 2,
        pr: undefined,
        body: 'hi',
        user: 'm',
        createdAt: '2026-01-01T00:00:01Z',
        updatedAt: '2026-01-01T00:00:01Z',
      },
    ]);
    expect(asked[0]).toContain('/api/v1/repos/o/r/issues/comments?since=2026-01-01T00%3A00%3A00Z');
  });
});
