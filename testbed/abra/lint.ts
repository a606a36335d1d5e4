// `abra recipe lint <recipe>`: the rule table as the real abra is remembered to print it (all [U],
// interfaces.md A.8.5: never recorded). Rules R001–R016 with the numbers, texts and severities
// remembered from abra's pkg/lint (a guess; R006 and R013 need the network and are skipped
// offline, also a guess). No --machine: an unknown flag is cobra's `unknown flag: --machine`.
// The table is drawn with box characters (lipgloss, thick border: a guess of the style); a failing
// error rule adds `WARN critical errors present in <recipe> config` and the exit status stays 0;
// only a recipe that cannot be linted at all is FATA with exit 1. Needs a terminal (terminal.ts).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ensureRecipeDir } from './ensure.js';
import { git } from './exec.js';
import { fail, warn } from './log.js';
import { requireRecipeDir } from './paths.js';
import { printBoxTable } from './table.js';

type Severity = 'warn' | 'error';

interface RawService {
  image?: string;
  healthcheck?: { disable?: boolean };
  deploy?: { labels?: string[] | Record<string, unknown> };
}

interface Recipe {
  dir: string;
  compose: {
    version?: unknown;
    services?: Record<string, RawService | null>;
    configs?: Record<string, { name?: string } | null>;
    secrets?: Record<string, unknown>;
  };
  services: Record<string, RawService>;
  tagTypes: string[];
}

interface Rule {
  ref: string;
  rule: string;
  severity: Severity;
  resolve: string;
  /** true when abra does not check the rule here (the SKIPPED column) */
  skip?: (r: Recipe, offline: boolean) => boolean;
  check: (r: Recipe) => boolean;
}

/** Labels as a map whether the file uses the list or the map form. */
function labelsOf(s: RawService | undefined): Record<string, string> {
  const l = s?.deploy?.labels;
  if (Array.isArray(l)) {
    return Object.fromEntries(
      l.map((x) => {
        const i = x.indexOf('=');
        return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(l ?? {}).map(([k, v]) => [k, String(v)]));
}

function tagOf(image: string | undefined): string | undefined {
  if (image === undefined) return undefined;
  const last = image.split('/').pop() ?? '';
  const i = last.indexOf(':');
  return i < 0 ? undefined : last.slice(i + 1).replace(/@.*$/, '');
}

const services = (r: Recipe) => Object.values(r.services);
const file = (r: Recipe, name: string) => join(r.dir, name);

function abraShExports(r: Recipe): Set<string> {
  const path = file(r, 'abra.sh');
  if (!existsSync(path)) return new Set();
  return new Set(
    [...readFileSync(path, 'utf8').matchAll(/^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=/gm)].map((m) => m[1] ?? ''),
  );
}

const RULES: Rule[] = [
  {
    ref: 'R001',
    rule: 'compose config has expected version',
    severity: 'warn',
    resolve: 'ensure \'version: "3.8"\' in compose configs',
    check: (r) => String(r.compose.version ?? '') === '3.8',
  },
  {
    ref: 'R002',
    rule: 'healthcheck enabled for all services',
    severity: 'warn',
    resolve: 'wire up healthchecks',
    check: (r) => services(r).every((s) => s.healthcheck !== undefined && s.healthcheck.disable !== true),
  },
  {
    ref: 'R003',
    rule: 'all images use a tag',
    severity: 'warn',
    resolve: 'use a tag for all images',
    check: (r) => services(r).every((s) => tagOf(s.image) !== undefined),
  },
  {
    ref: 'R004',
    rule: 'no unstable tags',
    severity: 'warn',
    resolve: 'tag all images with stable tags',
    check: (r) =>
      services(r).every((s) => !/^(latest|main|master|develop|dev|edge|nightly)$/.test(tagOf(s.image) ?? '')),
  },
  {
    ref: 'R005',
    rule: 'tags use semver-like format',
    severity: 'warn',
    resolve: 'use semver-like tags',
    check: (r) => services(r).every((s) => /^v?\d+(\.\d+)*([-+._][0-9A-Za-z.-]+)?$/.test(tagOf(s.image) ?? '')),
  },
  {
    ref: 'R006',
    rule: 'has published catalogue version',
    severity: 'warn',
    resolve: 'publish a recipe version to the catalogue',
    skip: (_r, offline) => offline,
    check: (r) => r.tagTypes.length > 0,
  },
  {
    ref: 'R007',
    rule: 'README.md metadata filled in',
    severity: 'warn',
    resolve: 'fill out all the metadata',
    check: (r) =>
      existsSync(file(r, 'README.md')) &&
      /<!-- metadata -->[\s\S]*\*\*Category\*\*[\s\S]*<!-- endmetadata -->/.test(
        readFileSync(file(r, 'README.md'), 'utf8'),
      ),
  },
  {
    ref: 'R008',
    rule: '.env.sample provided',
    severity: 'error',
    resolve: 'create an example .env.sample',
    check: (r) => existsSync(file(r, '.env.sample')),
  },
  {
    ref: 'R009',
    rule: "one service named 'app'",
    severity: 'error',
    resolve: "name a service 'app'",
    check: (r) => r.services['app'] !== undefined,
  },
  {
    ref: 'R010',
    rule: 'traefik routing enabled',
    severity: 'error',
    resolve: 'include "traefik.enable=true" deploy label',
    // a guess: skipped for a recipe whose .env.sample has no DOMAIN (nothing to route)
    skip: (r) =>
      !existsSync(file(r, '.env.sample')) || !/^\s*DOMAIN=/m.test(readFileSync(file(r, '.env.sample'), 'utf8')),
    check: (r) => services(r).some((s) => labelsOf(s)['traefik.enable'] === 'true'),
  },
  {
    ref: 'R011',
    rule: 'all services have images',
    severity: 'error',
    resolve: 'ensure "image: ..." set on all services',
    check: (r) => services(r).length > 0 && services(r).every((s) => typeof s.image === 'string' && s.image !== ''),
  },
  {
    ref: 'R012',
    rule: 'config version are vendored',
    severity: 'error',
    resolve: 'vendor config versions in an abra.sh',
    check: (r) => {
      const exported = abraShExports(r);
      return Object.values(r.compose.configs ?? {}).every((c) => {
        const vars = [...(c?.name ?? '').matchAll(/\$\{?([A-Z0-9_]+_VERSION)\}?/g)].map((m) => m[1] ?? '');
        return vars.length > 0 && vars.every((v) => exported.has(v));
      });
    },
  },
  {
    ref: 'R013',
    rule: 'git.coopcloud.tech repo exists',
    severity: 'warn',
    resolve: 'upload your recipe to git.coopcloud.tech/coop-cloud/...',
    skip: (_r, offline) => offline,
    check: () => false,
  },
  {
    ref: 'R014',
    rule: 'only annotated tags used for recipe version',
    severity: 'error',
    resolve: 'replace lightweight tag with annotated tag',
    check: (r) => r.tagTypes.every((t) => t === 'tag'),
  },
  {
    ref: 'R015',
    rule: 'long secret names',
    severity: 'warn',
    resolve: 'reduce length of secret names to 12 chars',
    check: (r) => Object.keys(r.compose.secrets ?? {}).every((s) => s.length <= 12),
  },
  {
    ref: 'R016',
    rule: 'deploy labels stanza present',
    severity: 'error',
    resolve: 'include "deploy: labels: ..." stanza',
    check: (r) => r.services['app']?.deploy?.labels !== undefined,
  },
];

async function loadRecipe(dir: string): Promise<Recipe> {
  const path = join(dir, 'compose.yml');
  if (!existsSync(path)) fail(`unable to lint ${dir}: no compose.yml`);
  let compose: Recipe['compose'];
  try {
    compose = (parse(readFileSync(path, 'utf8')) ?? {}) as Recipe['compose'];
  } catch (e) {
    return fail(`unable to lint ${dir}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const svc = Object.fromEntries(Object.entries(compose.services ?? {}).map(([k, v]) => [k, v ?? {}]));
  const refs = await git(dir, ['for-each-ref', 'refs/tags', '--format=%(objecttype)']);
  const tagTypes = refs.stdout
    .split('\n')
    .map((t) => t.trim())
    .filter(Boolean);
  return { dir, compose, services: svc, tagTypes };
}

export async function lintCommand(recipe: string, chaos: boolean, offline: boolean): Promise<void> {
  const dir = requireRecipeDir(recipe);
  if (!chaos) await ensureRecipeDir(dir, recipe, undefined);
  const r = await loadRecipe(dir);
  const rows = RULES.map((rule) => {
    const skipped = rule.skip?.(r, offline) ?? false;
    const satisfied = !skipped && rule.check(r);
    return { ...rule, skipped, satisfied };
  });
  printBoxTable(
    ['REF', 'RULE', 'SEVERITY', 'SATISFIED', 'SKIPPED', 'RESOLVE'],
    rows.map((x) => [
      x.ref,
      x.rule,
      x.severity,
      x.satisfied ? '✅' : '❌',
      x.skipped ? '✅' : '-',
      x.satisfied || x.skipped ? '-' : x.resolve,
    ]),
  );
  if (rows.some((x) => x.severity === 'error' && !x.satisfied && !x.skipped))
    warn(`critical errors present in ${recipe} config`);
}
