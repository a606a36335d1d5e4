// Forges by forge.type: a new forge is a folder beside gitea/ and one line here (and its name in
// the config's forge.type, which sits below this folder and cannot read this list).
import type { Config } from '../config/load-config.js';
import type { Forge } from './forge.js';
import { giteaForge } from './gitea/gitea-forge.js';
import type { ForgeClientOptions } from './types.js';

export type ForgeType = NonNullable<Config['forge']>['type'];

export type ForgeFactory = (opts: ForgeClientOptions) => Forge;

const forges: Record<ForgeType, ForgeFactory> = {
  gitea: giteaForge,
  // Forgejo speaks Gitea's API v1 and sends Gitea's webhooks (with X-Forgejo-* headers too).
  forgejo: giteaForge,
};

export function createForge(type: ForgeType, opts: ForgeClientOptions): Forge {
  return forges[type](opts);
}
