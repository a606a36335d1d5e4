// Gitea, and Forgejo (the same API v1 and the same webhooks): the forge port over the REST client.
import type { Forge } from '../forge.js';
import type { ForgeClientOptions } from '../types.js';
import { createGiteaClient } from './client.js';
import { listedComments } from './comments.js';
import { giteaWebhooks } from './webhook.js';

export function giteaForge(opts: ForgeClientOptions): Forge {
  const client = createGiteaClient(opts);
  return {
    client,
    commentsSince: async (repo, since) => listedComments(await client.listRepoComments(repo, since ? { since } : {})),
    webhooks: giteaWebhooks,
  };
}
