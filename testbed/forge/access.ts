// Who is asking and what they may do. Token parsing follows services/auth/oauth2.go (Gitea
// 1.2x): `?token=`, `?access_token=`, then `Authorization: token X` (lower-case "token" only)
// or `Bearer X` (any case); Basic auth with the token as password (or as user name with an
// empty or "x-oauth-basic" password) as services/auth/basic.go accepts it.
import type { IncomingMessage } from 'node:http';
import type { Store } from './store.js';
import type { AccessMode, RepoRec, UserRec } from './types.js';

export type TokenResult = { kind: 'none' } | { kind: 'user'; user: UserRec } | { kind: 'invalid'; message: string };

function basicToken(header: string): { token: string; name: string } | undefined {
  const m = /^basic\s+(\S+)$/i.exec(header.trim());
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const name = decoded.slice(0, colon);
  const pass = decoded.slice(colon + 1);
  return pass === '' || pass === 'x-oauth-basic' ? { token: name, name: '' } : { token: pass, name };
}

/** The user a request authenticates as (query token, Authorization header or Basic). */
export function authenticate(store: Store, req: IncomingMessage, query: URLSearchParams): TokenResult {
  const queryToken = query.get('token') || query.get('access_token');
  let token: string | undefined = queryToken || undefined;
  let basicName: string | undefined;
  const header = req.headers.authorization;
  if (!token && header) {
    const fields = header.trim().split(/\s+/);
    if (fields.length === 2 && (fields[0] === 'token' || fields[0]?.toLowerCase() === 'bearer')) {
      token = fields[1];
    } else {
      const basic = basicToken(header);
      if (basic) {
        token = basic.token;
        basicName = basic.name;
      }
    }
  }
  if (!token) return { kind: 'none' };
  const user = store.userByToken(token);
  if (user) return { kind: 'user', user };
  // oauth2.go returns user_model.ErrUserNotExist{} for an unknown token; basic auth falls back to
  // a password login, which fails the same way for a name that has no password here.
  return { kind: 'invalid', message: `user does not exist [uid: 0, name: ${basicName ?? ''}]` };
}

const RANK: Record<AccessMode, number> = { none: 0, read: 1, write: 2, admin: 3, owner: 4 };

export function atLeast(mode: AccessMode, wanted: AccessMode): boolean {
  return RANK[mode] >= RANK[wanted];
}

/**
 * The access a user (null: anonymous) has to a repository: site admin and owner are owners; org
 * members get their membership's role (standing in for their teams); explicit collaborators
 * their mode; anyone else reads a public repository and nothing of a private one.
 */
export function repoAccess(store: Store, repo: RepoRec, user: UserRec | null): AccessMode {
  let mode: AccessMode = repo.private ? 'none' : 'read';
  if (!user) return mode;
  if (user.isAdmin) return 'owner';
  if (!repo.ownerIsOrg && repo.ownerId === user.id) return 'owner';
  if (repo.ownerIsOrg) {
    const m = store.orgs.get(repo.ownerId)?.members.get(user.id);
    if (m) {
      const fromRole: AccessMode = m.role === 'owner' ? 'owner' : m.role;
      if (RANK[fromRole] > RANK[mode]) mode = fromRole;
    }
  }
  const collab = repo.collaborators.get(user.id);
  if (collab && RANK[collab] > RANK[mode]) mode = collab;
  return mode;
}
