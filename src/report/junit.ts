// junit.xml mirroring results.json: a testsuite per stage, a testcase per check row. Written by
// hand because the format needed is a few elements and every value must pass the secret registry.
import { writeFileSync } from 'node:fs';
import type { CheckRow, StageResult } from '../model/stage.js';
import type { RunResults } from '../model/results.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export function renderJunit(results: RunResults): string {
  const suites = results.stages.map((stage) => renderSuite(results.recipe, stage));
  const failures = results.stages.reduce((n, s) => n + rowsOf(s).filter((r) => r.status === 'fail').length, 0);
  const errors = results.stages.reduce((n, s) => n + rowsOf(s).filter((r) => r.status === 'error').length, 0);
  const tests = results.stages.reduce((n, s) => n + rowsOf(s).length, 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="cc-ci ${esc(results.recipe)} ${esc(results.ref)}" tests="${tests}"` +
      ` failures="${failures}" errors="${errors}" time="${secs(results.durationMs)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n');
}

export function writeJunit(file: string, results: RunResults, secrets: SecretRegistry): void {
  writeFileSync(file, secrets.redact(renderJunit(results)));
}

// A stage with no rows still shows as one case, so a skipped or failed stage is never invisible.
function rowsOf(stage: StageResult): CheckRow[] {
  if (stage.checks.length > 0) return stage.checks;
  const status =
    stage.status === 'pass' ? 'pass' : stage.status === 'fail' ? 'fail' : stage.status === 'error' ? 'error' : 'skip';
  return [{ name: stage.name, status, detail: stage.reason, durationMs: stage.durationMs }];
}

function renderSuite(recipe: string, stage: StageResult): string {
  const rows = rowsOf(stage);
  const count = (s: string) => rows.filter((r) => r.status === s).length;
  const cases = rows.map((row) => {
    const open =
      `    <testcase classname="${esc(`${recipe}.${stage.name}`)}" name="${esc(row.name)}"` +
      ` time="${secs(row.durationMs ?? 0)}"`;
    const detail = esc(row.detail ?? '');
    if (row.status === 'fail') return `${open}>\n      <failure message="${detail}"/>\n    </testcase>`;
    if (row.status === 'error') return `${open}>\n      <error message="${detail}"/>\n    </testcase>`;
    if (row.status === 'skip') return `${open}>\n      <skipped message="${detail}"/>\n    </testcase>`;
    return `${open}/>`;
  });
  const reasonProp = stage.reason ? `<property name="reason" value="${esc(stage.reason)}"/>` : '';
  const statusProp = `<property name="status" value="${stage.status}"/>`;
  // Who said a stage is na (results.json's naBy): only the operator's counts for the level.
  const naByProp = stage.naBy ? `<property name="naBy" value="${stage.naBy}"/>` : '';
  const reason = `\n    <properties>${reasonProp}${statusProp}${naByProp}</properties>`;
  return [
    `  <testsuite name="${esc(stage.name)}" tests="${rows.length}" failures="${count('fail')}"` +
      ` errors="${count('error')}" skipped="${count('skip')}" time="${secs(stage.durationMs ?? 0)}">${reason}`,
    ...cases,
    '  </testsuite>',
  ].join('\n');
}

function esc(s: string): string {
  return (
    s
      .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] ?? c)
      // XML 1.0 forbids most control characters, which subprocess output can carry.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '')
  );
}

function secs(ms: number): string {
  return (ms / 1000).toFixed(3);
}
