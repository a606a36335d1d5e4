// services/convert/user.go: toUser. The primary email is shown only to signed-in callers
// (KeepEmailPrivate is false here); otherwise the placeholder `<name>@noreply.localhost`
// (NoReplyAddress = "noreply." + DOMAIN, DOMAIN = localhost). The admin-only fields (is_admin,
// login_name, last_login, language, active, prohibit_login) are filled for the user themself
// and site admins. Orgs rendered as a User (repository owner) have an empty email.
import { createHash } from 'node:crypto';
import type { ForgeCore } from './core.js';
import { GO_ZERO_TIME, goTime } from './gojson.js';
import type { OrgRec, UserRec } from './types.js';
import type { ApiUser } from './wire.js';

/** Who is looking: none (anonymous or a webhook's `ToUser(u, nil)`) or a signed-in user. */
export type Viewer = UserRec | null;

function avatarUrl(core: ForgeCore, key: string): string {
  return `${core.appUrl}avatars/${createHash('md5').update(key.toLowerCase()).digest('hex')}`;
}

export function toUser(core: ForgeCore, u: UserRec, viewer: Viewer): ApiUser {
  const signed = viewer !== null;
  const authed = signed && (viewer.isAdmin || viewer.id === u.id);
  return {
    id: u.id,
    login: u.login,
    login_name: '',
    source_id: 0,
    full_name: u.fullName,
    email: signed ? u.email : `${u.login.toLowerCase()}@noreply.localhost`,
    avatar_url: avatarUrl(core, u.email),
    html_url: `${core.appUrl}${encodeURIComponent(u.login)}`,
    language: authed ? 'en-US' : '',
    is_admin: authed ? u.isAdmin : false,
    last_login: authed ? goTime(u.createdUnix) : GO_ZERO_TIME,
    created: goTime(u.createdUnix),
    restricted: false,
    active: authed,
    prohibit_login: false,
    location: '',
    website: '',
    description: '',
    visibility: 'public',
    followers_count: 0,
    following_count: 0,
    starred_repos_count: 0,
    username: u.login,
  };
}

export function orgAsUser(core: ForgeCore, o: OrgRec): ApiUser {
  return {
    id: o.id,
    login: o.name,
    login_name: '',
    source_id: 0,
    full_name: o.fullName,
    email: '',
    avatar_url: avatarUrl(core, o.name),
    html_url: `${core.appUrl}${encodeURIComponent(o.name)}`,
    language: '',
    is_admin: false,
    last_login: GO_ZERO_TIME,
    created: goTime(o.createdUnix),
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
    username: o.name,
  };
}

/** A user id that may be gone (Gitea's ghost user). */
export function toUserById(core: ForgeCore, id: number, viewer: Viewer): ApiUser {
  const u = core.store.users.get(id);
  if (u) return toUser(core, u, viewer);
  return toUser(
    core,
    { id: -1, login: 'Ghost', fullName: '', email: '', isAdmin: false, createdUnix: 0, token: '' },
    viewer,
  );
}
