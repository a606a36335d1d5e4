// The operator's cc-ci.yml (DESIGN §3.1). Unknown keys are errors so a typo never goes unnoticed.
import { Cron } from 'croner';
import { z } from 'zod';
import { byteSizeSchema } from './byte-size.js';
import { durationSchema } from './duration.js';
import { stageNames } from '../model/stage.js';
import { MAX_STACK_NAME, maxSwarmDomainLength } from '../model/app-name.js';

const ownerNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name')
  .transform((repo) => repo.toLowerCase());
const orgEntrySchema = z.strictObject({
  org: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'expected an org name')
    .transform((org) => org.toLowerCase()),
});

/**
 * forge.repos: each item is read by the schema its shape calls for (a string: owner/name; an
 * object: {org}), so a mistake is named plainly instead of zod's "Invalid input" of a union.
 */
function reposSchema() {
  return z
    .unknown()
    .optional()
    .transform((value, ctx): { listed: string[]; orgs: string[] } => {
      const listed: string[] = [];
      const orgs: string[] = [];
      if (value === undefined) return { listed, orgs };
      const items = Array.isArray(value) ? value : isPlainObject(value) ? [value] : undefined;
      if (!items) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected a list of owner/name and {org: name} items, or {org: name}',
        });
        return { listed, orgs };
      }
      items.forEach((item, i) => {
        const at = Array.isArray(value) ? [i] : [];
        const parsed = typeof item === 'string' ? ownerNameSchema.safeParse(item) : orgEntrySchema.safeParse(item);
        if (!parsed.success) {
          for (const issue of parsed.error.issues)
            ctx.addIssue({
              code: 'custom',
              path: [...at, ...issue.path],
              message:
                typeof item === 'string' || isPlainObject(item) ? issue.message : 'expected owner/name or {org: name}',
            });
          return;
        }
        const [list, entry, what] =
          typeof parsed.data === 'string'
            ? [listed, parsed.data, 'a repository is listed twice (case does not count)']
            : [orgs, parsed.data.org, 'an org is listed twice (case does not count)'];
        if (list.includes(entry)) ctx.addIssue({ code: 'custom', message: what });
        else list.push(entry);
      });
      return { listed, orgs };
    });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const forgeSchema = z
  .strictObject({
    type: z.enum(['gitea', 'forgejo']),
    url: z.url(),
    tokenFile: z.string().optional(),
    webhookSecretFile: z.string().optional(),
    org: z.string().min(1),
    allowlist: z.array(z.string()).default([]),
    // The enrolled repositories: a list whose items are `owner/name` or `{org: name}` (every recipe
    // repository of that org, found on the forge: not archived, a compose.yml at its root), or one
    // `{org: name}` alone (DESIGN §3.1). Gitea and Forgejo compare owner and repository names without
    // case; cc-ci keeps them in lower case, so every comparison (the webhook's repository, `cc-ci run
    // <recipe>`, the recipe's name) agrees. Parsed into `repos` (the listed ones) and `repoOrgs`.
    repos: reposSchema(),
    pollInterval: durationSchema.default(30_000),
    // Departure from DESIGN §3.1: a webhook delivery of a comment older than this (or than the poll
    // cursor) is ignored, so a replayed delivery starts nothing; the poller still reads the comment.
    webhookMaxAge: durationSchema
      .refine((ms) => ms >= 10_000, "at least 10s: it also covers the difference between the forge's clock and ours")
      .default(300_000),
    // Departure from DESIGN §3.1: a new head of an enrolled repository's default branch (seen by the
    // poller, or a push webhook) queues a run of that commit; false turns these runs off.
    pushRuns: z.boolean().default(true),
  })
  // `repos` as listed and the orgs whose recipes are enrolled, apart.
  .transform(({ repos, ...forge }) => ({ ...forge, repos: repos.listed, repoOrgs: repos.orgs }));

// A scheduled sweep (DESIGN §3.1): at each firing of `cron` (the server's time zone), a run of the
// default branch of each recipe named in `run`, or of every enrolled one.
const scheduleSchema = z.strictObject({
  cron: z.string().refine(isCron, 'expected a cron expression like "0 3 * * *" (minute hour day month weekday)'),
  run: z.union([
    z.literal('all'),
    z.array(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'expected a recipe name')).min(1),
  ]),
});

const swarmSchema = z.strictObject({
  server: z.string().regex(/^[A-Za-z0-9.-]+$/, 'expected an abra server name'),
  domain: z
    .string()
    .regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'expected a DNS domain like ci.example.org')
    // abra cuts stack names at 45 characters; a test app's stack is `<short>-<6hex>_<domain>`.
    .max(
      maxSwarmDomainLength(),
      `at most ${maxSwarmDomainLength()} characters: abra cuts stack names at ${MAX_STACK_NAME}, ` +
        "and a test app's stack name adds up to 12 to the domain",
    ),
  abra: z.string().default('abra'),
  // Departure from DESIGN §3.1: where the shared abra state (servers/) lives; real abra uses ~/.abra.
  abraDir: z.string().optional(),
  dockerHost: z.string().default('unix:///var/run/docker.sock'),
  ingress: z.url().default('https://127.0.0.1:443'),
  // A CA certificate (PEM file) trusted for the ingress besides the system's: a CI host whose
  // wildcard certificate comes from its own CA (the testbed's). Certificate checks stay on.
  ingressCa: z.string().min(1).optional(),
});

// `runner.executor: drone`: each run is a `custom` build of the runner repository on a Drone server
// (docs/drone.md). The token is Drone's API token (a Drone user's, with write on the repository).
const droneSchema = z.strictObject({
  url: z.url(),
  tokenFile: z.string().optional(),
  // owner/name of the runner repository on Drone (the repository whose .drone.yml `cc-ci drone pipeline` prints).
  repo: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, 'expected owner/name'),
  // The branch the builds are made on (default: the repository's default branch on Drone).
  branch: z.string().min(1).optional(),
  // Departure from DESIGN §3.1: the secret serve shares with the runner hosts (their Drone secret
  // `ccci_ingest_secret`), from which each run's ingest credential is derived; never a build parameter.
  ingestSecretFile: z.string().optional(),
  // Departure from DESIGN §3.1: a running build whose step has not been heard from (its ingest
  // requests, a heartbeat every few seconds) for this long is lost: its runner host or exec runner
  // went down, which Drone itself does not notice for a day.
  silenceLimit: durationSchema.default(120_000),
});

const runnerSchema = z.strictObject({
  executor: z.enum(['local', 'drone']).default('local'),
  drone: droneSchema.optional(),
  // Runs at once (the server's queue).
  capacity: z.number().int().min(1).default(2),
  // A run deploys its install and upgrade apps (and lints) side by side.
  parallelApps: z.boolean().default(true),
  stages: z.array(z.enum(stageNames)).default([...stageNames]),
  runTimeout: durationSchema.default(3_600_000),
  // Departure from DESIGN §3.1: cc-ci's own convergence deadline when the app .env sets no TIMEOUT.
  deployTimeout: durationSchema.default(300_000),
  janitorMaxAge: durationSchema.default(7_200_000),
  // Departure from DESIGN §3.1: how long the server lets a stopped run tear down before it kills it
  // (and reaps its apps).
  teardownBudget: durationSchema.default(600_000),
  keepOnFailure: z.number().min(0).default(0),
});

/**
 * Where the API may clone from: an origin as URL.origin spells it (scheme, host, port; nothing
 * after), or a local folder as a file:/// URL ending in a slash.
 */
const repoOriginSchema = z.string().refine((s) => {
  if (s.startsWith('file:///')) return s.endsWith('/') && !s.includes('/../') && !s.includes('%');
  try {
    const u = new URL(s);
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s.replace(/\/$/, '');
  } catch {
    return false;
  }
}, 'expected an origin like https://git.example.org (no path, no user) or a folder like file:///srv/mirrors/');

// Departure from DESIGN §3.1: where alerts go besides the forge. `webhook`: a JSON POST for each
// level alert opened, updated or closed (a chat bridge); `operator`: a JSON POST for each run that
// ended `errored` (cc-ci's or the host's problem). Each is signed with X-CC-CI-Signature when its
// secretFile (or the systemd credential / environment variable of docs/secrets.md) gives a secret.
const alertTargetSchema = z.strictObject({
  url: z.url().refine((u) => /^https?:\/\//.test(u), 'expected an http:// or https:// URL'),
  secretFile: z.string().optional(),
});
const alertsSchema = z.strictObject({
  webhook: alertTargetSchema.optional(),
  operator: alertTargetSchema.optional(),
});

const dashboardSchema = z.strictObject({
  listen: z.string().default('127.0.0.1:8080'),
  publicUrl: z.url().default('http://127.0.0.1:8080'),
  adminTokenFile: z.string().optional(),
  // Live logs (SSE) open at once, in all and per client address: past them 503 and 429.
  maxLiveLogs: z.number().int().min(1).default(200),
  maxLiveLogsPerClient: z.number().int().min(1).default(10),
  // Origins besides forge.url's that POST /api/runs may clone from (https://host[:port]), or file:/// folders.
  allowedRepoOrigins: z.array(repoOriginSchema).default([]),
  // Proxies whose X-Forwarded-For names the client (addresses or CIDRs); empty: the peer is the client.
  trustedProxies: z.array(z.string().min(1)).default([]),
  // Below this much free space on the store's or Docker's filesystem, /healthz is degraded and the overview warns.
  minFreeSpace: byteSizeSchema.default(5 * 2 ** 30),
});

// Run folders of finished runs older than `days` are deleted, but the newest `keepPerRecipe` runs of
// each recipe and its latest branch run keep theirs (model/retention.ts); the rows stay.
// `cc-ci store prune` also removes Docker images nothing uses (model/image-retention.ts) unless
// `images: false`. An image that never came from a registry (no RepoDigests: built on this host) stays
// by default, since nothing could bring it back; one pulled from a registry comes back at the next pull.
const imageRetentionSchema = z.strictObject({
  // Images built, or used by a run of this store, within this long stay.
  olderThan: durationSchema.default(86_400_000),
  // Image references kept whatever their age: `nginx:*`, `registry.example.org/*` (`*` matches anything).
  keep: z.array(z.string().min(1)).default([]),
  // Images with no RepoDigests (never pulled: built or loaded here) stay.
  keepUnpulled: z.boolean().default(true),
});

const retentionSchema = z.strictObject({
  days: z.number().int().min(1).default(30),
  keepPerRecipe: z.number().int().min(0).default(20),
  images: z.union([z.literal(false), imageRetentionSchema]).default(imageRetentionSchema.parse({})),
  // `cc-ci store prune` runs `restic prune` on the backup bot's repository, which teardown only forgets from.
  resticPrune: z.boolean().default(true),
});

// How secret files are read: an `.age` file is decrypted with the identities in this file.
const secretsSchema = z.strictObject({
  ageIdentityFile: z.string().optional(),
});

// `cc-ci host reconcile` (src/host/): the swarm it initialises when the node is in none. Loopback by
// default: a CI host's swarm has one node, so its management port need not listen on the network,
// and the pool is one a host's own networks and resolver are unlikely to be in (Docker's default,
// 10.0.0.0/8, often covers the resolver).
const hostSwarmSchema = z.strictObject({
  advertiseAddr: z.string().min(1).default('127.0.0.1'),
  listenAddr: z.string().min(1).default('127.0.0.1:2377'),
  addressPool: z
    .string()
    .regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'expected a CIDR like 10.201.0.0/16')
    .default('10.201.0.0/16'),
});

const hostSchema = z.strictObject({
  // The wildcard certificate for *.<swarm.domain> and its key: traefik's ssl_cert and ssl_key.
  certFile: z.string().optional(),
  keyFile: z.string().optional(),
  // A system user to run cc-ci as (made with useradd --system); without it the units run as root.
  user: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'expected a user name like cc-ci')
    .optional(),
  swarm: hostSwarmSchema.default(hostSwarmSchema.parse({})),
  // The overlay network traefik and every app join; recipes name it `proxy`: change it only for tests.
  proxyNetwork: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
    .default('proxy'),
  // backup-bot-two: its restic repository (as the bot sees it) and the file holding the repository's password.
  backup: z
    .strictObject({
      repository: z.string().min(1),
      passwordFile: z.string().min(1),
      // The bot's app domain (default backups.<swarm.domain>).
      domain: z.string().optional(),
    })
    .optional(),
  // Where the units are written (default /etc/systemd/system; --units-dir overrides it).
  unitsDir: z.string().optional(),
  // Departure from DESIGN §3.1: the Drone exec runner of a runner host (`host reconcile --role
  // runner`): where its binary is, the Drone server it takes builds from, the file holding the RPC
  // secret Drone's runners share, how many builds (runs) at once, and the name Drone shows for it.
  droneRunner: z
    .strictObject({
      binary: z.string().min(1).default('/usr/local/bin/drone-runner-exec'),
      rpcUrl: z.url(),
      rpcSecretFile: z.string().min(1),
      capacity: z.number().int().min(1).default(2),
      name: z
        .string()
        .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'expected a host name like runner-1')
        .optional(),
    })
    .optional(),
});

export const configSchema = z
  .strictObject({
    forge: forgeSchema.optional(),
    swarm: swarmSchema,
    runner: runnerSchema.default(runnerSchema.parse({})),
    store: z.string().default('./data'),
    // Departure from DESIGN §3.1: where recipe specs live (recipes/<recipe>/ci.yml); default: cc-ci's own recipes/.
    recipesDir: z.string().optional(),
    dashboard: dashboardSchema.default(dashboardSchema.parse({})),
    retention: retentionSchema.default(retentionSchema.parse({})),
    secrets: secretsSchema.optional(),
    host: hostSchema.default(hostSchema.parse({})),
    schedules: z.array(scheduleSchema).default([]),
    alerts: alertsSchema.default({}),
  })
  .superRefine((c, ctx) => {
    if (c.runner.executor === 'drone' && !c.runner.drone)
      ctx.addIssue({
        code: 'custom',
        path: ['runner', 'drone'],
        message:
          'runner.executor is drone but runner.drone is missing: add {url, tokenFile, repo, ingestSecretFile} ' +
          '(docs/drone.md), or set runner.executor: local',
      });
    // A sweep runs default branches of enrolled repositories: a name not among them would run nothing.
    // With an org in forge.repos the enrolled set is known only once serve has asked the forge, so
    // a name is then checked at each firing instead (src/schedule/sweeps.ts logs it as left out).
    // (Read with care: zod runs this even when forge itself failed, untransformed then.)
    const listed = Array.isArray(c.forge?.repos) ? c.forge.repos : [];
    const enrolled = new Set(listed.map((r) => r.split('/')[1]));
    const checkNames = !Array.isArray(c.forge?.repoOrgs) || c.forge.repoOrgs.length === 0;
    if (c.schedules.length > 0 && !c.forge)
      ctx.addIssue({
        code: 'custom',
        path: ['schedules'],
        message: 'a sweep runs the default branches of enrolled repositories: configure forge (with repos) too',
      });
    c.schedules.forEach((s, i) => {
      if (s.run === 'all' || !checkNames) return;
      for (const name of s.run)
        if (!enrolled.has(name))
          ctx.addIssue({
            code: 'custom',
            path: ['schedules', i, 'run'],
            message: `${name} is not an enrolled repository's name: add its owner/name to forge.repos`,
          });
    });
  });

export type ConfigFile = z.infer<typeof configSchema>;

/** Whether croner reads the expression (it throws on one it cannot). */
function isCron(pattern: string): boolean {
  try {
    new Cron(pattern, { paused: true }).stop();
    return true;
  } catch {
    return false;
  }
}
