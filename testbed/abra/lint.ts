// `abra recipe lint`: a small rule table of our own (the real rule set was not available;
// every rule here is a guess, see README).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fail, fatalStderr, out } from './log.js';
import { requireRecipeDir } from './paths.js';
import { printTable } from './table.js';

type Severity = 'warn' | 'error';

interface Rule {
  ref: string;
  rule: string;
  severity: Severity;
  check: (r: Recipe) => boolean;
}

interface RawService {
  image?: string;
  healthcheck?: { disable?: boolean };
  deploy?: { labels?: string[] | Record<string, unknown> };
}

interface Recipe {
  dir: string;
  services: Record<string, RawService>;
}

/** Labels as a map whether the file uses the list or the map form. */
function labelsOf(s: RawService | undefined): Record<string, string> {
  const l = s?.deploy?.labels;
  if (Array.isArray(l)) {
    return Object.fromEntries(l.map((x) => { const i = x.indexOf('='); return i < 0 ? [x, ''] : [x.slice(0, i), x.slice(i + 1)]; }));
  }
  return Object.fromEntries(Object.entries(l ?? {}).map(([k, v]) => [k, String(v)]));
}

function hasTag(image: string | undefined): boolean {
  if (image === undefined) return false;
  const last = image.split('/').pop() ?? '';
  return last.includes(':') || image.includes('@sha256:');
}

const RULES: Rule[] = [
  { ref: 'R001', rule: 'compose.yml exists', severity: 'error', check: (r) => existsSync(join(r.dir, 'compose.yml')) },
  { ref: 'R002', rule: '.env.sample exists', severity: 'error', check: (r) => existsSync(join(r.dir, '.env.sample')) },
  { ref: 'R003', rule: 'every service has an image with a tag', severity: 'error',
    check: (r) => Object.keys(r.services).length > 0 && Object.values(r.services).every((s) => hasTag(s.image)) },
  { ref: 'R004', rule: 'app service has a coop-cloud.${STACK_NAME}.version label', severity: 'error',
    check: (r) => labelsOf(r.services['app'])['coop-cloud.${STACK_NAME}.version'] !== undefined },
  { ref: 'R005', rule: 'app service has traefik.enable=true', severity: 'warn',
    check: (r) => labelsOf(r.services['app'])['traefik.enable'] === 'true' },
  { ref: 'R006', rule: 'every service has a healthcheck', severity: 'warn',
    check: (r) => Object.values(r.services).every((s) => s.healthcheck !== undefined && s.healthcheck.disable !== true) },
  { ref: 'R007', rule: 'a service has a backupbot.backup label', severity: 'warn',
    check: (r) => Object.values(r.services).some((s) => labelsOf(s)['backupbot.backup'] !== undefined) },
];

function loadRecipe(dir: string): Recipe {
  const file = join(dir, 'compose.yml');
  if (!existsSync(file)) return { dir, services: {} };
  const doc = (parse(readFileSync(file, 'utf8')) ?? {}) as { services?: Record<string, RawService | null> };
  const services = Object.fromEntries(Object.entries(doc.services ?? {}).map(([k, v]) => [k, v ?? {}]));
  return { dir, services };
}

export function lintCommand(recipe: string, machine: boolean): void {
  const r = loadRecipe(requireRecipeDir(recipe));
  const rows = RULES.map((rule) => ({ ref: rule.ref, rule: rule.rule, severity: rule.severity, satisfied: rule.check(r) }));
  if (machine) out(JSON.stringify(rows));
  else printTable(['REF', 'RULE', 'SEVERITY', 'SATISFIED'], rows.map((x) => [x.ref, x.rule, x.severity, String(x.satisfied)]));
  if (!rows.some((x) => x.severity === 'error' && !x.satisfied)) return;
  const msg = `critical errors present in ${recipe} config`;
  if (!machine) fail(msg);
  fatalStderr(msg); // keep stdout pure JSON
  process.exitCode = 1;
}
