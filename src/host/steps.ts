// The steps of `cc-ci host reconcile`, in order. Each observes the host through the ports,
// hands what it saw to its rule in decide.ts, and (unless --check) does what the rule asks.
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { ABRA_INSTALL_HINT, MIN_ABRA_VERSION, abraVersionAtLeast } from '../abra/abra-version.js';
import { abraServerDir } from '../abra/server-entry.js';
import { readEnvFile, setEnvValues } from '../abra/env-file.js';
import { hostAbraCalls, type HostAbra } from '../abra/host-abra.js';
import type { HostDocker } from '../docker/host-docker.js';
import type { SwarmApi } from '../docker/swarm-api.js';
import { waitForConvergence } from '../docker/converge.js';
import { errorMessage } from '../model/errors.js';
import { childEnv } from '../process/child-env.js';
import { runProcess } from '../process/run-process.js';
import {
  decideAbra,
  decideAbraApp,
  decideEngine,
  decideNetwork,
  decideStore,
  decideSwarm,
  decideUnits,
  withOverlay,
  type AbraAppAction,
  type AbraAppFacts,
  type AbraAppWanted,
  type EngineAction,
} from './decide.js';
import { BACKUPBOT_RECIPE, STORE_MODE, TRAEFIK_RECIPE, type HostDesired } from './desired.js';
import type { Decision, StepResult } from './outcome.js';
import { inspectSelfSigned, makeSelfSigned } from './self-signed.js';
import { passwordFingerprint, sha256Of } from './fingerprint.js';
import type { HostSystem } from './system.js';
import { enabledUnits, renderUnits, type DroneRunnerInput } from './units.js';

export interface HostPorts {
  docker: HostDocker;
  swarm: SwarmApi;
  abra: HostAbra;
  system: HostSystem;
  now: () => Date;
  /** How long a deploy may take to converge. */
  convergeMs: number;
}

export interface Step {
  name: string;
  /** Steps that must be ok (or changed) before this one can look. */
  needs: string[];
  run(d: HostDesired, ports: HostPorts): Promise<StepResult>;
}

/** Runs a decision: ok and refuse say so; act is drift under --check, else done (changed) or failed. */
async function settle<A>(
  step: string,
  d: HostDesired,
  decision: Decision<A>,
  act: (actions: A[]) => Promise<string | void>,
  fixOnFailure: string,
): Promise<StepResult> {
  if (decision.kind === 'ok') return { step, status: 'ok', detail: decision.detail };
  if (decision.kind === 'refuse') return { step, status: 'failed', detail: decision.detail, fix: decision.fix };
  if (d.check) return { step, status: 'drift', detail: decision.detail };
  try {
    const more = await act(decision.actions);
    return { step, status: 'changed', detail: more ? `${decision.detail}; ${more}` : decision.detail };
  } catch (err) {
    return { step, status: 'failed', detail: `${decision.detail}: ${errorMessage(err)}`, fix: fixOnFailure };
  }
}

// --- docker ----------------------------------------------------------------------------------

const dockerStep: Step = {
  name: 'docker',
  needs: [],
  async run(d, p) {
    const answer = await p.docker.swarm().then(
      () => undefined,
      (err: unknown) => errorMessage(err),
    );
    const facts = {
      answers: answer === undefined,
      error: answer,
      installed: p.system.which('dockerd') !== undefined,
      systemd: p.system.systemdRunning(),
    };
    return settle(
      'docker',
      d,
      decideEngine(facts, d.profile),
      async (actions: EngineAction[]) => {
        for (const a of actions) {
          if (a === 'apt-install-docker.io') await p.system.aptInstall(['docker.io']);
          if (a === 'start-docker') {
            const r = await p.system.systemctl(['start', 'docker.service']);
            if (!r.ok) throw new Error(`systemctl start docker.service: ${r.output}`);
          }
          if (a === 'wait-for-engine') await waitFor('the Docker Engine to answer', 60_000, () => p.docker.swarm());
        }
      },
      'see the message above; docs/install.md ("Docker")',
    );
  },
};

// --- swarm -----------------------------------------------------------------------------------

const swarmStep: Step = {
  name: 'swarm',
  needs: ['docker'],
  async run(d, p) {
    const want = d.config.host.swarm;
    return settle(
      'swarm',
      d,
      decideSwarm(await p.docker.swarm(), want),
      async () => {
        await p.docker.swarmInit(want);
        await waitFor('the new swarm to have an active manager', 30_000, async () => {
          const s = await p.docker.swarm();
          if (s.state !== 'active' || !s.manager) throw new Error(`state ${s.state}`);
        });
      },
      'check host.swarm.advertiseAddr (an address of this host) and host.swarm.addressPool, then run this again',
    );
  },
};

// --- network ---------------------------------------------------------------------------------

const networkStep: Step = {
  name: 'network',
  needs: ['swarm'],
  async run(d, p) {
    const name = d.config.host.proxyNetwork;
    return settle(
      'network',
      d,
      decideNetwork(name, await p.docker.network(name)),
      () => p.docker.createOverlayNetwork(name),
      `docker network create -d overlay --attachable ${name}`,
    );
  },
};

// --- abra ------------------------------------------------------------------------------------

const abraStep: Step = {
  name: 'abra',
  needs: [],
  async run(d, p) {
    const binary = d.config.swarm.abra;
    const resolved = p.system.which(binary);
    const version = resolved ? await p.abra.version() : { exitCode: 127, text: '' };
    const serverDir = abraServerDir(d.config.swarm.abraDir, d.config.swarm.server);
    const decision = decideAbra(
      {
        resolved,
        versionExit: version.exitCode,
        versionText: version.text,
        versionOk: abraVersionAtLeast(version.text),
        serverDirExists: isFolder(serverDir),
      },
      {
        binary,
        server: d.config.swarm.server,
        serverDir,
        minVersion: MIN_ABRA_VERSION,
        installHint: ABRA_INSTALL_HINT,
        standIn: d.profile === 'testbed',
      },
    );
    return settle(
      'abra',
      d,
      decision,
      async () => {
        mkdirSync(serverDir, { recursive: true, mode: 0o700 });
      },
      `mkdir -p ${serverDir}`,
    );
  },
};

// --- tls (--self-signed) ---------------------------------------------------------------------

const tlsStep: Step = {
  name: 'tls',
  needs: [],
  async run(d) {
    const files = d.tls!;
    const domain = d.config.swarm.domain;
    const extra = d.selfSignedNames ?? [];
    const problem = inspectSelfSigned(files, domain, new Date(), extra);
    const wrong = [problem.ca, problem.leaf].filter(Boolean).join('; ');
    const decision: Decision<'make'> = wrong
      ? { kind: 'act', detail: wrong, actions: ['make'] }
      : { kind: 'ok', detail: `self-signed *.${domain} at ${files.certFile}, CA ${files.caFile}` };
    return settle(
      'tls',
      d,
      decision,
      async () => `made ${(await makeSelfSigned(files, domain, problem, extra)).join(', ')}`,
      'check that openssl is installed (apt-get install openssl) and the folders are writable',
    );
  },
};

// --- apps through abra -------------------------------------------------------------------------

interface HostState {
  secrets: Record<string, { fingerprint: string; version: string }>;
}

function readState(file: string): HostState {
  try {
    const s = JSON.parse(readFileSync(file, 'utf8')) as Partial<HostState>;
    return { secrets: s.secrets ?? {} };
  } catch {
    return { secrets: {} };
  }
}

function writeState(file: string, state: HostState): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
  writeFileSync(`${file}.new`, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o640 });
  // rename: a reader never sees half a file
  renameSync(`${file}.new`, file);
}

async function observeApp(d: HostDesired, p: HostPorts, want: Omit<AbraAppWanted, 'env'>): Promise<AbraAppFacts> {
  const envFile = appEnvFile(d, want.domain);
  const state = readState(d.stateFile);
  const services = await p.swarm.services(want.stack);
  return {
    recipePresent: existsSync(join(d.config.swarm.abraDir, 'recipes', want.recipe, 'compose.yml')),
    envExists: existsSync(envFile),
    env: existsSync(envFile) ? readEnvFile(envFile) : {},
    swarmSecrets: await p.docker.secretNames(),
    recorded: Object.fromEntries(want.secrets.map((s) => [s.name, state.secrets[`${want.domain}/${s.name}`]])),
    services: services.map((s) => ({
      name: s.name,
      running: s.running,
      desired: s.desired,
      updateState: s.updateState,
    })),
  };
}

function appEnvFile(d: HostDesired, domain: string): string {
  return join(abraServerDir(d.config.swarm.abraDir, d.config.swarm.server), `${domain}.env`);
}

/** Does what decideAbraApp asked, in its order; the first failure stops it. */
async function applyApp(d: HostDesired, p: HostPorts, want: AbraAppWanted, actions: AbraAppAction[]): Promise<void> {
  const abra = async (call: (typeof hostAbraCalls)[keyof typeof hostAbraCalls], values: Record<string, string>) => {
    const r = await p.abra.run(call, values);
    if (!r.ok) throw new Error(r.said);
  };
  const inserted: Array<{ name: string; fingerprint: string; version: string }> = [];
  for (const a of actions) {
    if (a.do === 'fetch-recipe') {
      if (d.traefik.recipeSource && want.recipe === TRAEFIK_RECIPE) await copyRecipe(d, d.traefik.recipeSource);
      else await abra(hostAbraCalls.recipeFetch, { recipe: want.recipe });
    } else if (a.do === 'app-new') {
      await abra(hostAbraCalls.appNew, { recipe: want.recipe, server: d.config.swarm.server, domain: want.domain });
      setEnvValues(appEnvFile(d, want.domain), { DOMAIN: want.domain });
    } else if (a.do === 'set-env') {
      // The wanted values are worked out from the .env as it was before app new wrote it.
      setEnvValues(appEnvFile(d, want.domain), { ...a.values, ...wantedEnv(d, want) });
    } else if (a.do === 'insert-secret') {
      await abra(hostAbraCalls.secretInsert, { domain: want.domain, secret: a.name, version: a.version, file: a.file });
      inserted.push({ name: a.name, fingerprint: a.fingerprint, version: a.version });
    } else if (a.do === 'deploy') {
      await abra(hostAbraCalls.deploy, { domain: want.domain });
    } else if (a.do === 'wait') {
      await waitForConvergence(p.swarm, want.stack, { deadlineMs: p.convergeMs });
    }
    // Recorded as soon as inserted: a later failure must not make the next run insert them again.
    if (inserted.length > 0) {
      const state = readState(d.stateFile);
      for (const s of inserted.splice(0))
        state.secrets[`${want.domain}/${s.name}`] = { fingerprint: s.fingerprint, version: s.version };
      writeState(d.stateFile, state);
    }
  }
}

/** The env a freshly made .env needs on top of what the rule saw (COMPOSE_FILE from the recipe's own sample). */
function wantedEnv(d: HostDesired, want: AbraAppWanted): Record<string, string> {
  if (want.recipe !== TRAEFIK_RECIPE) return {};
  const env = readEnvFile(appEnvFile(d, want.domain));
  return { COMPOSE_FILE: withOverlay(env.COMPOSE_FILE, 'compose.wildcard.yml') };
}

/**
 * The testbed's traefik recipe comes from testbed/recipes/traefik/ (no network here): copied
 * into abra's recipes folder as a git repository with one commit and a release tag, as a fetch
 * would leave it.
 */
async function copyRecipe(d: HostDesired, source: string): Promise<void> {
  if (!existsSync(join(source, 'compose.yml'))) throw new Error(`no recipe at ${source} (compose.yml missing)`);
  const target = join(d.config.swarm.abraDir, 'recipes', TRAEFIK_RECIPE);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { recursive: true });
  const compose = readFileSync(join(source, 'compose.yml'), 'utf8');
  const version = /coop-cloud\.\$\{STACK_NAME\}\.version=([^\s"']+)/.exec(compose)?.[1] ?? '0.1.0+testbed';
  const env = childEnv({
    GIT_AUTHOR_NAME: 'cc-ci',
    GIT_AUTHOR_EMAIL: 'cc-ci@localhost',
    GIT_COMMITTER_NAME: 'cc-ci',
    GIT_COMMITTER_EMAIL: 'cc-ci@localhost',
  });
  for (const args of [
    ['init', '-q', '-b', 'main'],
    ['add', '-A'],
    ['commit', '-q', '-m', `traefik stand-in ${version}`],
    ['tag', '-a', version, '-m', version],
  ]) {
    const r = await runProcess('git', args, { cwd: target, env, timeoutMs: 60_000 });
    if (r.exitCode !== 0) throw new Error(`git ${args.join(' ')} in ${target}: ${(r.stderr || r.stdout).trim()}`);
  }
}

const traefikStep: Step = {
  name: 'traefik',
  needs: ['network', 'abra', 'tls'],
  async run(d, p) {
    if (!d.tls)
      return {
        step: 'traefik',
        status: 'failed',
        detail: 'no certificate: host.certFile and host.keyFile are not set',
        fix:
          'set host.certFile and host.keyFile to the wildcard certificate for *.' +
          `${d.config.swarm.domain} and its key (docs/install.md), or pass --self-signed on a test host`,
      };
    const certSha = sha256Of(d.tls.certFile);
    const keyReadable = sha256Of(d.tls.keyFile) !== undefined;
    const base = {
      app: 'traefik',
      recipe: TRAEFIK_RECIPE,
      domain: d.traefik.domain,
      stack: d.traefik.stack,
      // The key is never hashed or recorded: it changes only with its certificate, whose hash stands for both.
      secrets: [
        {
          name: 'ssl_cert',
          versionKey: 'SECRET_WILDCARD_CERT_VERSION',
          file: d.tls.certFile,
          fingerprint: certSha,
          rotate: true,
        },
        {
          name: 'ssl_key',
          versionKey: 'SECRET_WILDCARD_KEY_VERSION',
          file: d.tls.keyFile,
          fingerprint: keyReadable ? certSha : undefined,
          rotate: true,
        },
      ],
    };
    const facts = await observeApp(d, p, base);
    const want: AbraAppWanted = {
      ...base,
      env: {
        LETS_ENCRYPT_ENV: '',
        WILDCARDS_ENABLED: '1',
        COMPOSE_FILE: withOverlay(facts.envExists ? facts.env.COMPOSE_FILE : undefined, 'compose.wildcard.yml'),
      },
    };
    return settle(
      'traefik',
      d,
      decideAbraApp(facts, want),
      (actions) => applyApp(d, p, want, actions),
      `see the abra line above; the app's .env is ${appEnvFile(d, want.domain)} (docs/install.md, "traefik")`,
    );
  },
};

const backupStep: Step = {
  name: 'backup-bot',
  needs: ['network', 'abra'],
  async run(d, p) {
    const b = d.backup;
    if (!b)
      return {
        step: 'backup-bot',
        status: 'ok',
        detail: 'host.backup is not set: backup-bot-two is not managed here (the backup stage needs one)',
      };
    if (b.kind === 'testbed') return testbedBot(d, p, b);
    const base = {
      app: 'backup-bot-two',
      recipe: BACKUPBOT_RECIPE,
      domain: b.domain,
      stack: b.stack,
      secrets: [
        {
          name: 'restic_password',
          versionKey: 'SECRET_RESTIC_PASSWORD_VERSION',
          file: b.passwordFile,
          fingerprint: passwordFingerprint(
            b.passwordFile,
            readState(d.stateFile).secrets[`${b.domain}/restic_password`]?.fingerprint,
          ),
          // docs/secrets.md: the new password is added to the repository (restic key add) before the file changes.
          rotate: true,
        },
      ],
    };
    const facts = await observeApp(d, p, base);
    const want: AbraAppWanted = { ...base, env: { RESTIC_REPOSITORY: b.repository } };
    return settle(
      'backup-bot',
      d,
      decideAbraApp(facts, want),
      (actions) => applyApp(d, p, want, actions),
      `see the abra line above; the bot's .env is ${appEnvFile(d, b.domain)} (docs/install.md, "backup-bot-two")`,
    );
  },
};

/**
 * The testbed's stand-in bot is not a recipe the stand-in abra can deploy: it is deployed as
 * testbed/up always did, `docker stack deploy` of testbed/backupbot/compose.yml (its repository
 * and password are made by testbed/up's backup-repo step, before this).
 */
async function testbedBot(
  d: HostDesired,
  p: HostPorts,
  b: { stack: string; composeFile: string },
): Promise<StepResult> {
  const services = await p.swarm.services(b.stack);
  const converged = services.length > 0 && services.every((s) => s.desired > 0 && s.running >= s.desired);
  const decision: Decision<'deploy'> = converged
    ? { kind: 'ok', detail: `stand-in bot stack ${b.stack} runs (${services.map((s) => s.name).join(', ')})` }
    : {
        kind: 'act',
        detail: `stand-in bot stack ${b.stack} ${services.length === 0 ? 'not deployed' : 'not converged'}`,
        actions: ['deploy'],
      };
  return settle(
    'backup-bot',
    d,
    decision,
    async () => {
      const r = await runProcess(
        'docker',
        ['stack', 'deploy', '--resolve-image', 'never', '--detach=true', '-c', b.composeFile, b.stack],
        { env: childEnv({ DOCKER_HOST: d.config.swarm.dockerHost }), timeoutMs: 120_000 },
      );
      if (r.exitCode !== 0) throw new Error(`docker stack deploy: ${(r.stderr || r.stdout).trim()}`);
      await waitForConvergence(p.swarm, b.stack, { deadlineMs: p.convergeMs });
    },
    'run testbed/up (its backup-repo step makes the restic repository the bot mounts)',
  );
}

// --- store and user ----------------------------------------------------------------------------

const storeStep: Step = {
  name: 'store',
  needs: [],
  async run(d, p) {
    const dir = d.config.store;
    const user = d.config.host.user;
    const st = statOf(dir);
    const facts = {
      exists: st !== undefined,
      mode: st?.mode ?? 0,
      uid: st?.uid ?? -1,
      gid: st?.gid ?? -1,
      ...(user ? { user: await p.system.user(user) } : {}),
    };
    return settle(
      'store',
      d,
      decideStore(facts, { dir, mode: STORE_MODE, user }),
      async (actions) => {
        for (const a of actions) {
          if (a === 'useradd') await p.system.useradd(user!, dir);
          if (a === 'add-to-docker-group') await p.system.addToGroup(user!, 'docker');
          if (a === 'mkdir') mkdirSync(dir, { recursive: true, mode: STORE_MODE });
          if (a === 'chmod' || a === 'mkdir') chmodSync(dir, STORE_MODE);
          if (a === 'chown') {
            const u = user ? await p.system.user(user) : { uid: 0, gid: 0 };
            chownSync(dir, u.uid ?? 0, u.gid ?? 0);
          }
        }
      },
      user ? `useradd --system ${user}; mkdir -m 750 ${dir}; chown ${user}: ${dir}` : `mkdir -m 750 ${dir}`,
    );
  },
};

// --- units -------------------------------------------------------------------------------------

const unitsStep: Step = {
  name: 'units',
  needs: [],
  async run(d, p) {
    const c = d.config;
    const abra = p.system.which(c.swarm.abra);
    const units = renderUnits({
      node: d.install.node,
      cli: d.install.cli,
      config: c.path,
      pathDirs: abra ? [dirname(abra)] : [],
      user: c.host.user,
      teardownBudgetMs: c.runner.teardownBudget,
      credentials: credentialsOf(d),
      dockerUnit: d.profile === 'debian' && d.role !== 'control' ? 'docker.service' : undefined,
      role: d.role,
      droneRunner: droneRunnerOf(d),
    });
    const systemd = p.system.systemdRunning();
    const files = Object.fromEntries(units.map((u) => [u.name, readOrUndefined(join(d.unitsDir, u.name))]));
    const enabled: Record<string, boolean> = {};
    if (systemd)
      for (const name of enabledUnits(d.role)) {
        const on = await p.system.systemctl(['is-enabled', '--quiet', name]);
        const active = await p.system.systemctl(['is-active', '--quiet', name]);
        enabled[name] = on.ok && active.ok;
      }
    return settle(
      'units',
      d,
      decideUnits(
        { files, systemd, enabled },
        { dir: d.unitsDir, units, enable: enabledUnits(d.role), profile: d.profile },
      ),
      async (actions) => {
        for (const a of actions) {
          if (a.do === 'write') {
            mkdirSync(d.unitsDir, { recursive: true });
            writeFileSync(join(d.unitsDir, a.name), units.find((u) => u.name === a.name)!.text, { mode: 0o644 });
          } else if (a.do === 'daemon-reload') await systemctlOrThrow(p, ['daemon-reload']);
          else await systemctlOrThrow(p, ['enable', '--now', a.name]);
        }
      },
      `check ${d.unitsDir} is writable; systemctl status cc-ci.service`,
    );
  },
};

/** The exec runner's settings, its secret file made absolute like the others; undefined when not configured. */
function droneRunnerOf(d: HostDesired): DroneRunnerInput | undefined {
  const r = d.config.host.droneRunner;
  if (!r) return undefined;
  const at = (f: string) => (f.startsWith('/') ? f : join(dirname(d.config.path), f));
  return { ...r, rpcSecretFile: at(r.rpcSecretFile), name: r.name ?? hostname() };
}

/** The systemd credentials the config loader reads ($CREDENTIALS_DIRECTORY/<name>) for each secret file it names. */
function credentialsOf(d: HostDesired): Array<{ name: string; file: string }> {
  const c = d.config;
  const named: Array<[string, string | undefined]> = [
    ['forge_token', c.forge?.tokenFile],
    ['webhook_secret', c.forge?.webhookSecretFile],
    ['admin_token', c.dashboard.adminTokenFile],
    ['alert_webhook_secret', c.alerts.webhook?.secretFile],
    ['alert_operator_secret', c.alerts.operator?.secretFile],
  ];
  const at = (f: string) => (f.startsWith('/') ? f : join(dirname(c.path), f));
  return named.filter((n): n is [string, string] => !!n[1]).map(([name, file]) => ({ name, file: at(file) }));
}

async function systemctlOrThrow(p: HostPorts, args: string[]): Promise<void> {
  const r = await p.system.systemctl(args);
  if (!r.ok) throw new Error(`systemctl ${args.join(' ')}: ${r.output}`);
}

// --- helpers -----------------------------------------------------------------------------------

function isFolder(path: string): boolean {
  return statOf(path)?.isDirectory() ?? false;
}

function statOf(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function readOrUndefined(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

async function waitFor(what: string, ms: number, probe: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      await probe();
      return;
    } catch (err) {
      last = errorMessage(err);
    }
    if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}; last: ${last}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The steps in order; tls only with --self-signed. The host of serve alone (`--role control`)
 * runs no app: it needs only the store and the units.
 */
export function hostSteps(d: HostDesired): Step[] {
  if (d.role === 'control') return [storeStep, unitsStep];
  return [
    dockerStep,
    swarmStep,
    networkStep,
    abraStep,
    ...(d.selfSigned ? [tlsStep] : []),
    traefikStep,
    backupStep,
    storeStep,
    unitsStep,
  ];
}
