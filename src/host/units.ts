// The systemd units of a cc-ci host, rendered from the config: the server, the janitor and the
// daily prune, each timer with its one-shot service, and on a runner host the Drone exec runner.
// Which of them a host gets follows its role: `all` (one host: serve, janitor, prune), `control`
// (serve and the prune of its store; no apps run there), `runner` (a runner host: the janitor of
// the apps its runs deploy, the prune of its store, and the exec runner that takes Drone's builds).
// Pure: the same input gives the same text, so reconcile compares files byte for byte. Every unit
// passes `systemd-analyze verify` (a test).

export const hostRoles = ['all', 'runner', 'control'] as const;
export type HostRole = (typeof hostRoles)[number];

/** The Drone exec runner of a runner host (host.droneRunner). */
export interface DroneRunnerInput {
  /** The drone-runner-exec binary, absolute. */
  binary: string;
  /** The Drone server as the runner reaches it, e.g. https://drone.example.org. */
  rpcUrl: string;
  /** The file holding DRONE_RPC_SECRET, handed over as a credential. */
  rpcSecretFile: string;
  /** DRONE_RUNNER_CAPACITY: builds (runs) at once on this host. */
  capacity: number;
  /** DRONE_RUNNER_NAME: the `machine` Drone reports for the builds it takes. */
  name: string;
}

export interface UnitInput {
  /** The Node binary and cc-ci's entry point (dist/src/cli.js), both absolute. */
  node: string;
  cli: string;
  /** The config file, absolute. */
  config: string;
  /** Folders put first on PATH: abra's, so cron-like timers and runs find it. */
  pathDirs: string[];
  /** Run as this user (and its group); root when undefined. */
  user?: string;
  /** runner.teardownBudget: a stop must leave the server this long to tear runs down. */
  teardownBudgetMs: number;
  /** One `LoadCredential=` each: the credential name the config loader reads, and the file. */
  credentials: Array<{ name: string; file: string }>;
  /** The unit the engine runs as (docker.service on Debian), for ordering; none when undefined. */
  dockerUnit?: string;
  /** Which units this host gets (default all). */
  role?: HostRole;
  /** The exec runner's settings: required for the runner role. */
  droneRunner?: DroneRunnerInput;
}

export interface Unit {
  name: string;
  text: string;
}

const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** Room above the teardown budget for the server's own shutdown (closing the store, the last events). */
const STOP_MARGIN_S = 60;

export const unitNames = [
  'cc-ci.service',
  'cc-ci-janitor.service',
  'cc-ci-janitor.timer',
  'cc-ci-prune.service',
  'cc-ci-prune.timer',
  'drone-runner-exec.service',
] as const;

const unitsOfRole: Record<HostRole, ReadonlyArray<(typeof unitNames)[number]>> = {
  all: unitNames.filter((n) => n !== 'drone-runner-exec.service'),
  control: ['cc-ci.service', 'cc-ci-prune.service', 'cc-ci-prune.timer'],
  runner: unitNames.filter((n) => n !== 'cc-ci.service'),
};

/** The units to enable on a host of this role (the timers start their services). */
export function enabledUnits(role: HostRole = 'all'): string[] {
  const enable = ['cc-ci.service', 'cc-ci-janitor.timer', 'cc-ci-prune.timer', 'drone-runner-exec.service'];
  return enable.filter((n) => (unitsOfRole[role] as readonly string[]).includes(n));
}

export function renderUnits(input: UnitInput): Unit[] {
  const role = input.role ?? 'all';
  if (role === 'runner' && !input.droneRunner)
    throw new Error('a runner host runs the Drone exec runner: host.droneRunner is needed');
  const wanted = unitsOfRole[role] as readonly string[];
  return allUnits(input).filter((u) => wanted.includes(u.name));
}

function allUnits(input: UnitInput): Unit[] {
  const exec = (args: string) =>
    `ExecStart=${quote(input.node)} ${quote(input.cli)} ${args} --config ${quote(input.config)}`;
  const path = `Environment=${quote(`PATH=${[...input.pathDirs, SYSTEM_PATH].join(':')}`)}`;
  const user = input.user ? [`User=${input.user}`, `Group=${input.user}`] : [];
  const after = ['network-online.target', ...(input.dockerUnit ? [input.dockerUnit] : [])].join(' ');
  const requires = input.dockerUnit ? [`Requires=${input.dockerUnit}`] : [];
  const stopSeconds = Math.ceil(input.teardownBudgetMs / 1000) + STOP_MARGIN_S;
  const oneshot = (description: string, args: string, timeoutS: number): string =>
    lines([
      '[Unit]',
      `Description=${description}`,
      `After=${after}`,
      ...requires,
      '',
      '[Service]',
      'Type=oneshot',
      ...user,
      path,
      ...credentials(input),
      exec(args),
      `TimeoutStartSec=${timeoutS}`,
    ]);
  const timer = (description: string, schedule: string[]): string =>
    lines([
      '[Unit]',
      `Description=${description}`,
      '',
      '[Timer]',
      ...schedule,
      '',
      '[Install]',
      'WantedBy=timers.target',
    ]);
  return [
    {
      name: 'cc-ci.service',
      text: lines([
        '[Unit]',
        'Description=cc-ci: continuous integration for Co-op Cloud recipes',
        `After=${after}`,
        'Wants=network-online.target',
        ...requires,
        '',
        '[Service]',
        'Type=simple',
        ...user,
        path,
        ...credentials(input),
        exec('serve'),
        // systemctl reload: serve reads cc-ci.yml again and takes forge.repos without a restart.
        'ExecReload=/bin/kill -HUP $MAINPID',
        // SIGTERM to serve only: it stops its runs, which tear down in their own process groups;
        // the rest of the cgroup is killed only when the stop time is up.
        'KillMode=mixed',
        `TimeoutStopSec=${stopSeconds}`,
        'Restart=on-failure',
        'RestartSec=5s',
        '',
        '[Install]',
        'WantedBy=multi-user.target',
      ]),
    },
    { name: 'cc-ci-janitor.service', text: oneshot('cc-ci: reap leftover test apps', 'janitor', 1800) },
    {
      name: 'cc-ci-janitor.timer',
      text: timer('cc-ci: reap leftover test apps every 30 minutes', ['OnBootSec=10min', 'OnUnitActiveSec=30min']),
    },
    { name: 'cc-ci-prune.service', text: oneshot('cc-ci: prune old run folders', 'store prune', 3600) },
    {
      name: 'cc-ci-prune.timer',
      text: timer('cc-ci: prune old run folders daily', [
        'OnCalendar=daily',
        'RandomizedDelaySec=1h',
        'Persistent=true',
      ]),
    },
    ...(input.droneRunner ? [droneRunnerUnit(input, input.droneRunner, { after, requires, user, path })] : []),
  ];
}

/** The exec runner's start: DRONE_RPC_SECRET from its credential, then the binary (the script's $0). */
const READ_SECRET_AND_EXEC = 'DRONE_RPC_SECRET="$$(cat "$$CREDENTIALS_DIRECTORY/drone_rpc_secret")" exec "$$0"';

/**
 * The Drone exec runner: it takes the builds of the runner repository and runs their step
 * (`cc-ci drone step`) here, as cc-ci's user, with CCCI_CONFIG pointing at this host's config.
 * DRONE_RPC_SECRET is read from the credential when the runner starts: a fixed script (the
 * binary is its argument, never part of it), with `$$` so that systemd leaves `$` to the shell.
 */
function droneRunnerUnit(
  input: UnitInput,
  runner: DroneRunnerInput,
  common: { after: string; requires: string[]; user: string[]; path: string },
): Unit {
  const rpc = new URL(runner.rpcUrl);
  const env = [
    `DRONE_RPC_PROTO=${rpc.protocol.replace(/:$/, '')}`,
    `DRONE_RPC_HOST=${rpc.host}`,
    `DRONE_RUNNER_CAPACITY=${runner.capacity}`,
    `DRONE_RUNNER_NAME=${runner.name}`,
    `DRONE_RUNNER_ENVIRON=CCCI_CONFIG:${input.config}`,
  ];
  return {
    name: 'drone-runner-exec.service',
    text: lines([
      '[Unit]',
      "Description=Drone exec runner: cc-ci's runs on this runner host",
      `After=${common.after}`,
      'Wants=network-online.target',
      ...common.requires,
      '',
      '[Service]',
      'Type=simple',
      ...common.user,
      common.path,
      ...env.map((e) => `Environment=${quote(e)}`),
      `LoadCredential=drone_rpc_secret:${plainWord(runner.rpcSecretFile)}`,
      `ExecStart=/bin/sh -c '${READ_SECRET_AND_EXEC}' ${quote(runner.binary)}`,
      // A stop cancels nothing by itself: the builds' steps get SIGTERM and tear their runs down.
      'KillMode=mixed',
      `TimeoutStopSec=${Math.ceil(input.teardownBudgetMs / 1000) + STOP_MARGIN_S}`,
      'Restart=on-failure',
      'RestartSec=5s',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
    ]),
  };
}

function credentials(input: UnitInput): string[] {
  // The path is the rest of the line, as it is: quotes would be read as part of it.
  return input.credentials.map((c) => `LoadCredential=${c.name}:${plainWord(c.file)}`);
}

/** A word with its `%` doubled (a specifier otherwise); a line break would start a new setting: refused. */
function plainWord(word: string): string {
  if (/[\n\r]/.test(word)) throw new Error(`a unit word may not hold a line break: ${JSON.stringify(word)}`);
  return word.replace(/%/g, '%%');
}

function lines(list: string[]): string {
  return `# Written by cc-ci host reconcile; changes here are overwritten on its next run.\n${list.join('\n')}\n`;
}

/** systemd's quoting for a word with a space or a quote in it; plain otherwise. */
function quote(word: string): string {
  const plain = plainWord(word);
  return /[\s"'\\]/.test(plain) ? `"${plain.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : plain;
}
