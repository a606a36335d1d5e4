// The pure rules of `cc-ci host reconcile`: for each step, what was observed and what is wanted
// give "nothing to do", "do these things" or "refused, and here is the fix". The steps
// (steps.ts) observe and act; these decide, so every decision has a unit test.
import type { Decision } from './outcome.js';
import type { Profile } from './desired.js';

// --- Docker engine ---------------------------------------------------------------------------

export interface EngineFacts {
  answers: boolean;
  /** What the Engine said when it did not answer. */
  error?: string;
  /** dockerd is installed. */
  installed: boolean;
  /** systemd is the init system (/run/systemd/system exists). */
  systemd: boolean;
}

export type EngineAction = 'apt-install-docker.io' | 'start-docker' | 'wait-for-engine';

export function decideEngine(f: EngineFacts, profile: Profile): Decision<EngineAction> {
  if (f.answers) return { kind: 'ok', detail: 'the Docker Engine answers' };
  if (!f.installed) {
    if (profile === 'debian')
      return {
        kind: 'act',
        detail: "Docker is not installed: installing Debian's docker.io with apt-get",
        actions: ['apt-install-docker.io', ...(f.systemd ? (['start-docker'] as const) : []), 'wait-for-engine'],
      };
    if (profile === 'nixos')
      return {
        kind: 'refuse',
        detail: 'Docker is not installed',
        fix: 'set virtualisation.docker.enable = true (the cc-ci NixOS module does) and nixos-rebuild switch',
      };
    return { kind: 'refuse', detail: 'dockerd is not installed', fix: 'run testbed/up (it installs docker.io)' };
  }
  if (profile === 'debian' && f.systemd)
    return {
      kind: 'act',
      detail: `dockerd is installed, the Engine does not answer (${f.error ?? 'no answer'}): starting docker.service`,
      actions: ['start-docker', 'wait-for-engine'],
    };
  return {
    kind: 'refuse',
    detail: `dockerd is installed but the Engine does not answer (${f.error ?? 'no answer'})`,
    fix:
      profile === 'testbed'
        ? "run testbed/up: it starts the testbed's own dockerd (docs/testbed.md)"
        : 'start dockerd (systemctl start docker), check swarm.dockerHost, then run this again',
  };
}

// --- the swarm -------------------------------------------------------------------------------

export interface SwarmFactsView {
  state: string;
  manager: boolean;
  nodes: number;
  managers: number;
  nodeAddr: string;
  addressPools: string[];
  error: string;
}

export interface SwarmWanted {
  advertiseAddr: string;
  listenAddr: string;
  addressPool: string;
}

export type SwarmAction = 'swarm-init';

const NEVER_LEFT =
  'cc-ci needs a single-node swarm of its own and never leaves or joins one: use another host, ' +
  'or leave that swarm yourself (docker swarm leave) if this node should not be in it, then run this again';

export function decideSwarm(f: SwarmFactsView, want: SwarmWanted): Decision<SwarmAction> {
  if (f.state === 'inactive')
    return {
      kind: 'act',
      detail:
        `the node is in no swarm: docker swarm init --advertise-addr ${want.advertiseAddr} ` +
        `--listen-addr ${want.listenAddr} --default-addr-pool ${want.addressPool}`,
      actions: ['swarm-init'],
    };
  if (f.state === 'locked')
    return {
      kind: 'refuse',
      detail: 'the swarm is locked (autolock)',
      fix: 'unlock it with docker swarm unlock and the unlock key, then run this again',
    };
  if (f.state !== 'active')
    return {
      kind: 'refuse',
      detail: `the node's swarm state is "${f.state}"${f.error ? `: ${f.error}` : ''}`,
      fix: 'wait for the node to settle or repair the swarm (docker info shows its state), then run this again',
    };
  if (!f.manager) return { kind: 'refuse', detail: 'this node is a worker in another swarm', fix: NEVER_LEFT };
  if (f.nodes > 1)
    return {
      kind: 'refuse',
      detail: `this node manages a swarm of ${f.nodes} nodes (${f.managers} managers), not a single-node swarm`,
      fix: NEVER_LEFT,
    };
  const pool =
    f.addressPools.length === 0 || f.addressPools.includes(want.addressPool)
      ? ''
      : ` (its address pool ${f.addressPools.join(', ')} differs from host.swarm.addressPool ${want.addressPool}, ` +
        'which applies only when a swarm is made)';
  return { kind: 'ok', detail: `a single-node swarm, this node its manager at ${f.nodeAddr || '?'}${pool}` };
}

// --- the proxy network -----------------------------------------------------------------------

export interface NetworkFactsView {
  driver: string;
  attachable: boolean;
  scope: string;
}

export type NetworkAction = 'create-network';

export function decideNetwork(name: string, f: NetworkFactsView | undefined): Decision<NetworkAction> {
  if (!f)
    return {
      kind: 'act',
      detail: `no network ${name}: creating it (overlay, attachable)`,
      actions: ['create-network'],
    };
  if (f.driver === 'overlay' && f.attachable && f.scope === 'swarm')
    return { kind: 'ok', detail: `network ${name} is an attachable overlay` };
  return {
    kind: 'refuse',
    detail: `network ${name} is ${f.driver}${f.attachable ? ', attachable' : ', not attachable'}, scope ${f.scope}`,
    fix:
      `remove it once nothing uses it (docker network rm ${name}; its users are in docker network inspect ${name}) ` +
      'and run this again: cc-ci makes it an attachable overlay, it never removes a network itself',
  };
}

// --- abra ------------------------------------------------------------------------------------

export interface AbraFacts {
  /** The binary as it will be run, or undefined when there is none. */
  resolved: string | undefined;
  versionExit: number;
  versionText: string;
  /** The version is at least the minimum (abra-version.ts). */
  versionOk: boolean;
  serverDirExists: boolean;
}

export type AbraAction = 'make-server-dir';

export function decideAbra(
  f: AbraFacts,
  want: {
    binary: string;
    server: string;
    serverDir: string;
    minVersion: string;
    installHint: string;
    standIn: boolean;
  },
): Decision<AbraAction> {
  if (f.resolved === undefined)
    return { kind: 'refuse', detail: `${want.binary} not found (or not executable)`, fix: want.installHint };
  if (f.versionExit !== 0)
    return {
      kind: 'refuse',
      detail: `${f.resolved} --version exited ${f.versionExit}: ${f.versionText || '(nothing)'}`,
      fix: `check that swarm.abra is abra; ${want.installHint}`,
    };
  if (!want.standIn && !f.versionOk)
    return {
      kind: 'refuse',
      detail: `${f.versionText} is older than ${want.minVersion}, the abra cc-ci's calls were recorded against`,
      fix: want.installHint,
    };
  const what = `${f.versionText.split('\n')[0]} at ${f.resolved}${want.standIn ? ' (the testbed stand-in)' : ''}`;
  if (f.serverDirExists) return { kind: 'ok', detail: `${what}; server ${want.server} known` };
  return {
    kind: 'act',
    detail: `${what}; no server entry for ${want.server}: making ${want.serverDir}`,
    actions: ['make-server-dir'],
  };
}

// --- an app deployed through abra (traefik, backup-bot-two) ------------------------------------

export interface SecretWanted {
  /** The recipe's secret name (ssl_cert). */
  name: string;
  /** The .env key holding its version (SECRET_WILDCARD_CERT_VERSION). */
  versionKey: string;
  /** The file whose content it is. */
  file: string;
  /**
   * What tells a changed file from the one inserted: a certificate's sha256 (public); for a
   * password, a salted scrypt hash. Undefined when the file cannot be read.
   */
  fingerprint: string | undefined;
  /** A changed file is inserted as a new version; false: a change is refused. */
  rotate: boolean;
}

export interface AbraAppFacts {
  recipePresent: boolean;
  envExists: boolean;
  env: Record<string, string>;
  /** The names of the swarm's secrets. */
  swarmSecrets: string[];
  /** What reconcile recorded when it last inserted each secret (by secret name). */
  recorded: Record<string, { fingerprint: string; version: string } | undefined>;
  /** The stack's services with their tasks; [] when not deployed. */
  services: Array<{ name: string; running: number; desired: number; updateState?: string }>;
}

export interface AbraAppWanted {
  app: string;
  recipe: string;
  domain: string;
  stack: string;
  env: Record<string, string>;
  secrets: SecretWanted[];
}

export type AbraAppAction =
  | { do: 'fetch-recipe' }
  | { do: 'app-new' }
  | { do: 'set-env'; values: Record<string, string> }
  | { do: 'insert-secret'; name: string; version: string; file: string; fingerprint: string }
  | { do: 'deploy' }
  | { do: 'wait' };

/** The next secret version after every one seen: v1 → v2. */
export function nextVersion(...seen: Array<string | undefined>): string {
  const n = Math.max(0, ...seen.map((v) => Number(/^v(\d+)$/.exec(v ?? '')?.[1] ?? 0)));
  return `v${n + 1}`;
}

/** COMPOSE_FILE with an overlay appended once (the recipe's default is compose.yml). */
export function withOverlay(composeFile: string | undefined, overlay: string): string {
  const files = (composeFile || 'compose.yml').split(':').filter(Boolean);
  return files.includes(overlay) ? files.join(':') : [...files, overlay].join(':');
}

export function decideAbraApp(f: AbraAppFacts, want: AbraAppWanted): Decision<AbraAppAction> {
  const unreadable = want.secrets.find((s) => s.fingerprint === undefined);
  if (unreadable)
    return {
      kind: 'refuse',
      detail: `${want.app}: cannot read ${unreadable.file} (its ${unreadable.name} secret)`,
      fix: `put the file there (readable by root) or fix its config key`,
    };
  const actions: AbraAppAction[] = [];
  const said: string[] = [];
  if (!f.recipePresent) {
    actions.push({ do: 'fetch-recipe' });
    said.push(`recipe ${want.recipe} missing`);
  }
  if (!f.envExists) {
    actions.push({ do: 'app-new' });
    said.push(`no app ${want.domain}`);
  }
  const env = f.envExists ? f.env : {};
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(want.env)) if (env[key] !== value) values[key] = value;
  const inserts: AbraAppAction[] = [];
  for (const s of want.secrets) {
    const current = env[s.versionKey] ?? 'v1';
    const recorded = f.recorded[s.name];
    const exists = f.swarmSecrets.includes(`${want.stack}_${s.name}_${current}`);
    const now = s.fingerprint!;
    let version = current;
    if (exists && recorded?.fingerprint === now && recorded.version === current) continue;
    if (exists && !s.rotate) {
      if (recorded && recorded.fingerprint !== now)
        return {
          kind: 'refuse',
          detail: `${want.app}: ${s.file} changed since its ${s.name} secret was inserted`,
          fix: `${s.name} is not rotated by reconcile (docs/secrets.md says how to change it); put the old file back`,
        };
      if (!recorded) continue;
    }
    if (exists) {
      version = nextVersion(current, recorded?.version);
      // Worded for --check (drift) and a run (changed) alike.
      said.push(
        recorded
          ? `${s.file} changed: ${s.name} ${current} → ${version}`
          : `${s.name} ${current} was not inserted by cc-ci (no record of it): ${current} → ${version}`,
      );
    } else said.push(`${s.name} ${version} missing`);
    if (env[s.versionKey] !== version) values[s.versionKey] = version;
    inserts.push({ do: 'insert-secret', name: s.name, version, file: s.file, fingerprint: now });
  }
  const envChanged = Object.keys(values).length > 0;
  if (envChanged) {
    actions.push({ do: 'set-env', values });
    const keys = Object.keys(values).filter((k) => !want.secrets.some((s) => s.versionKey === k));
    if (keys.length > 0) said.push(`.env: ${keys.map((k) => `${k}=${values[k]}`).join(' ')}`);
  }
  actions.push(...inserts);
  const deployed = f.services.length > 0;
  const converged =
    deployed &&
    f.services.every(
      (s) =>
        s.running >= s.desired &&
        s.desired > 0 &&
        !['paused', 'rollback_paused', 'updating'].includes(s.updateState ?? ''),
    );
  if (!deployed) said.push(`stack ${want.stack} not deployed`);
  if (!deployed || envChanged || inserts.length > 0 || !f.envExists) actions.push({ do: 'deploy' }, { do: 'wait' });
  else if (!converged) {
    said.push(
      `stack ${want.stack} not converged (${f.services.map((s) => `${s.name} ${s.running}/${s.desired}`).join(', ')})`,
    );
    actions.push({ do: 'wait' });
  }
  if (actions.length === 0)
    return { kind: 'ok', detail: `${want.app} ${want.domain} deployed and converged (stack ${want.stack})` };
  return { kind: 'act', detail: `${want.app} ${want.domain}: ${said.join('; ')}`, actions };
}

// --- the store and the system user -------------------------------------------------------------

export interface StoreFacts {
  exists: boolean;
  mode: number;
  uid: number;
  gid: number;
  /** The configured user's uid and gid, when it exists; undefined when no user is configured. */
  user?: { exists: boolean; uid?: number; gid?: number; groups: string[] };
}

export type StoreAction = 'useradd' | 'add-to-docker-group' | 'mkdir' | 'chmod' | 'chown';

export function decideStore(f: StoreFacts, want: { dir: string; mode: number; user?: string }): Decision<StoreAction> {
  const actions: StoreAction[] = [];
  const said: string[] = [];
  if (want.user && f.user && !f.user.exists) {
    actions.push('useradd');
    said.push(`no user ${want.user}: useradd --system`);
  } else if (want.user && f.user && !f.user.groups.includes('docker')) {
    actions.push('add-to-docker-group');
    said.push(`${want.user} is not in the docker group`);
  }
  if (!f.exists) {
    actions.push('mkdir');
    said.push(`no ${want.dir}`);
  } else if ((f.mode & 0o777) !== want.mode) {
    actions.push('chmod');
    said.push(`${want.dir} has mode ${(f.mode & 0o777).toString(8)}, wants ${want.mode.toString(8)}`);
  }
  // mkdir as root leaves root the owner; a configured user gets the store (after useradd, its uid is new).
  const owner = want.user ? f.user?.uid : 0;
  if (f.exists ? f.uid !== owner : want.user !== undefined) {
    actions.push('chown');
    if (f.exists) said.push(`${want.dir} is owned by uid ${f.uid}, wants ${want.user ?? 'root'}`);
  }
  const who = want.user ?? 'root';
  if (actions.length === 0) return { kind: 'ok', detail: `${want.dir} (mode ${want.mode.toString(8)}, owner ${who})` };
  return { kind: 'act', detail: said.join('; '), actions: [...new Set(actions)] };
}

// --- the systemd units -------------------------------------------------------------------------

export interface UnitFacts {
  /** Each unit file's content now, undefined when missing. */
  files: Record<string, string | undefined>;
  systemd: boolean;
  /** Each unit to enable: whether it is enabled and active (only read with systemd). */
  enabled: Record<string, boolean>;
}

export type UnitAction = { do: 'write'; name: string } | { do: 'daemon-reload' } | { do: 'enable'; name: string };

export function decideUnits(
  f: UnitFacts,
  want: { dir: string; units: Array<{ name: string; text: string }>; enable: readonly string[]; profile: Profile },
): Decision<UnitAction> {
  if (want.profile === 'nixos') return { kind: 'ok', detail: 'left to the NixOS module (services.cc-ci)' };
  const stale = want.units.filter((u) => f.files[u.name] !== u.text).map((u) => u.name);
  const actions: UnitAction[] = stale.map((name) => ({ do: 'write', name }));
  const said = stale.map((n) => `${n} ${f.files[n] === undefined ? 'missing' : 'differs'}`);
  if (f.systemd) {
    if (stale.length > 0) actions.push({ do: 'daemon-reload' });
    for (const name of want.enable)
      if (!f.enabled[name] || stale.includes(name)) {
        actions.push({ do: 'enable', name });
        if (!f.enabled[name]) said.push(`${name} not enabled and running`);
      }
  }
  const where = `in ${want.dir}`;
  const noSystemd = f.systemd ? '' : '; systemd is not running here, so they are not enabled';
  if (actions.length === 0) return { kind: 'ok', detail: `${want.units.length} units up to date ${where}${noSystemd}` };
  return { kind: 'act', detail: `${said.join(', ')} ${where}${noSystemd}`, actions };
}
