// A StageContext and AppHandle for unit tests of a stage, wired to fakes: a FakeAbraPort whose
// deploy puts services on a FakeSwarm (so convergence really runs), whose backup and restore
// snapshot and put back the stack's data, a real SecretRegistry, a silent logger, and a temp
// folder (the recipe checkout, the app's .env, the artifacts) removed when the test ends.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import type { GeneratedSecret } from '../../src/abra/abra.js';
import type { Config } from '../../src/config/load-config.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger } from '../../src/log/create-logger.js';
import { newAppName } from '../../src/model/app-name.js';
import { CcciError, type StopCode } from '../../src/model/errors.js';
import { SecretRegistry } from '../../src/secrets/secret-registry.js';
import { specSchema } from '../../src/spec/schema.js';
import type { AppHandle, StageContext } from '../../src/stages/stage-context.js';
import { FakeAbraPort } from './fake-abra-port.js';
import { FakeSwarm, type FakeServiceSpec } from './fake-swarm.js';

export const HEAD_SHA = 'c0ffee1234567890abcdef1234567890abcdef12';
export const HEAD_VERSION = '1.1.0+1.27.2';

export type DeployTarget = { chaos: true } | { version: string };

export interface RigOptions {
  recipe?: string;
  /** The recipe's ci.yml as an object, parsed by the real schema. */
  spec?: Record<string, unknown>;
  /** Files of the recipe checkout; default a compose.yml of one service `app`. */
  files?: Record<string, string>;
  /** A checkout the test made (a git clone) instead of `files`. */
  recipeDir?: string;
  /** `config.swarm.ingress`; default an address nothing listens on. */
  ingress?: string;
  headSha?: string;
  headVersion?: string;
  role?: AppHandle['role'];
  /** Extra lines `abra app new` writes into the app's .env (TIMEOUT, COMPOSE_FILE, …). */
  appEnv?: Record<string, string>;
  /** runner.deployTimeout in ms. */
  deployTimeout?: number;
  customChecks?: string[];
  /** What `abra app secret generate` returns. */
  generated?: GeneratedSecret[];
}

export interface StageRig {
  root: string;
  ctx: StageContext;
  app: AppHandle;
  abra: FakeAbraPort;
  swarm: FakeSwarm;
  secrets: SecretRegistry;
  /**
   * What swarm runs after `abra app deploy <target>`: by default one healthy service `app`
   * labelled the way abra labels it. Replace it to script a deploy.
   */
  services: (target: DeployTarget) => FakeServiceSpec[];
  /** Stops the run as the session does: the run's signal aborts with the stop's error. */
  stop(code: StopCode, message: string): void;
}

/** A compose.yml of one service `app`, with the version label and, when asked, backupbot labels. */
export function composeFile(opts: { version?: string; backup?: boolean } = {}): string {
  const labels = [
    `        - "coop-cloud.\${STACK_NAME}.version=${opts.version ?? HEAD_VERSION}"`,
    ...(opts.backup ? ['        - "backupbot.backup=true"', '        - "backupbot.backup.path=/data"'] : []),
  ];
  return ['services:', '  app:', '    image: nginx:1.27.2', '    deploy:', '      labels:', ...labels, ''].join('\n');
}

/** The labels abra's deploy leaves on a service: the version, and for --chaos the commit. */
export function abraLabels(stack: string, version: string | undefined, chaosVersion?: string): Record<string, string> {
  return {
    ...(version ? { [`coop-cloud.${stack}.version`]: version } : {}),
    ...(chaosVersion ? { [`coop-cloud.${stack}.chaos-version`]: chaosVersion } : {}),
  };
}

export function stageRig(opts: RigOptions = {}): StageRig {
  const root = mkdtempSync(join(tmpdir(), 'cc-ci-stage-'));
  onTestFinished(() => rmSync(root, { recursive: true, force: true }));
  const recipe = opts.recipe ?? 'custom-html';
  const headSha = opts.headSha ?? HEAD_SHA;
  const headVersion = 'headVersion' in opts ? opts.headVersion : HEAD_VERSION;
  const recipeDir = opts.recipeDir ?? join(root, 'recipe');
  if (!opts.recipeDir) {
    for (const [file, text] of Object.entries(opts.files ?? { 'compose.yml': composeFile() })) {
      mkdirSync(dirname(join(recipeDir, file)), { recursive: true });
      writeFileSync(join(recipeDir, file), text);
    }
  }
  const artifactsDir = join(root, 'artifacts');
  mkdirSync(artifactsDir, { recursive: true });

  const parsed = configSchema.parse({
    swarm: { server: 'default', domain: 'ci.test', ingress: opts.ingress ?? 'http://127.0.0.1:9' },
    runner: { deployTimeout: `${opts.deployTimeout ?? 300_000}ms` },
  });
  const config: Config = {
    ...parsed,
    path: join(root, 'cc-ci.yml'),
    recipesDir: join(root, 'recipes'),
    swarm: { ...parsed.swarm, abraDir: join(root, 'abra') },
    secrets: {},
  };
  const secrets = new SecretRegistry();
  const controller = new AbortController();
  const swarm = new FakeSwarm();
  const abra = new FakeAbraPort(join(root, 'abra', 'servers', 'default'), { env: opts.appEnv });
  const name = newAppName(recipe, config.swarm.domain);
  const app: AppHandle = { name, role: opts.role ?? 'install', abra, recipeDir };
  const ctx: StageContext = {
    config,
    docker: swarm,
    log: createLogger({ secrets, console: false }).log,
    secrets,
    signal: controller.signal,
    recipe,
    spec: specSchema.parse(opts.spec ?? {}),
    customChecks: opts.customChecks ?? [],
    headSha,
    headVersion,
    ref: 'main',
    artifactsDir,
  };

  const rig: StageRig = {
    root,
    ctx,
    app,
    abra,
    swarm,
    secrets,
    services: (target) => [
      {
        name: 'app',
        labels: abraLabels(
          name.stack,
          'version' in target ? target.version : headVersion,
          'chaos' in target ? headSha.slice(0, 8) : undefined,
        ),
      },
    ],
    stop: (code, message) => controller.abort(new CcciError(code, message)),
  };

  // What abra does on the swarm: deploy rolls the stack; backup snapshots its data, restore puts it back.
  let snapshot: Map<string, string> | undefined;
  abra.on('generateSecrets', async () => opts.generated ?? []);
  abra.on('deploy', async (_domain, target) => swarm.deploy(name.stack, rig.services(target)));
  abra.on('backupCreate', async () => {
    snapshot = new Map(swarm.volume(name.stack));
    return 'INFO backup finished\nINFO snapshot 1a2b3c4d saved';
  });
  abra.on('restore', async () => {
    if (!snapshot) {
      throw new CcciError('ABRA_FAILED', 'abra app restore (under a terminal) exited 1: FATA no snapshots found');
    }
    const volume = swarm.volume(name.stack);
    volume.clear();
    for (const [k, v] of snapshot) volume.set(k, v);
    // A restore stops and starts the app's services; they take a moment to run again, so a
    // stage that did not wait for convergence would find no container to read the data in.
    swarm.restart(name.stack, 100);
    return 'INFO restore finished';
  });
  return rig;
}
