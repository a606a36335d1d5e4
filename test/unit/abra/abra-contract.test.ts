// docs/abra-contract.md shows the table the adapter runs from, and the table is consistent.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { abraCalls } from '../../../src/abra/abra-calls.js';
import { fillArgv } from '../../../src/abra/abra.js';
import { END, renderAbraCallsTable, START, withRenderedTable } from '../../../scripts/abra-contract.js';

const doc = readFileSync(new URL('../../../docs/abra-contract.md', import.meta.url), 'utf8');

describe('the abra contract', () => {
  const tableInDoc =
    'docs/abra-contract.md has the table of src/abra/abra-calls.ts (run npm run docs:abra-contract after a change)';
  it(tableInDoc, () => {
    const section = doc.slice(doc.indexOf(START) + START.length, doc.indexOf(END)).trim();
    expect(section).toBe(renderAbraCallsTable(abraCalls));
    expect(withRenderedTable(doc)).toBe(doc);
  });
  it('the rendered table changes when a call changes (the test above can fail)', () => {
    const changed = abraCalls.map((c) => (c.id === 'app new' ? { ...c, argv: [...c.argv, '--secrets'] } : c));
    expect(renderAbraCallsTable(changed)).not.toBe(renderAbraCallsTable(abraCalls));
  });
  const flagsListed =
    'every flag a call passes is in its argv and every argv flag is listed, long form, ' +
    'with --no-input on each abra command';
  it(flagsListed, () => {
    for (const call of abraCalls) {
      const argvFlags = call.argv.filter((a) => a.startsWith('-'));
      expect(argvFlags.sort(), call.id).toEqual([...call.flags].sort());
      expect(
        argvFlags.every((f) => f.startsWith('--')),
        call.id,
      ).toBe(true);
      if (call.command.length > 0) expect(call.flags, call.id).toContain('--no-input');
      expect(call.argv.slice(0, call.command.length), call.id).toEqual(call.command);
    }
  });
  const chaosOfflineTerminal =
    'recipe-touching calls pass --chaos --offline, deploys --no-domain-checks, ' +
    'and terminal calls are the three that need one';
  it(chaosOfflineTerminal, () => {
    const byId = new Map(abraCalls.map((c) => [c.id, c]));
    for (const id of ['app new', 'app secret generate', 'app backup create', 'app restore', 'app deploy (chaos)']) {
      expect(byId.get(id)?.flags, id).toEqual(expect.arrayContaining(['--chaos', '--offline']));
    }
    for (const id of ['app deploy (chaos)', 'app deploy (version)'])
      expect(byId.get(id)?.flags, id).toContain('--no-domain-checks');
    expect(
      abraCalls
        .filter((c) => c.terminal)
        .map((c) => c.id)
        .sort(),
    ).toEqual(['app backup create', 'app restore', 'recipe lint']);
    expect(byId.get('recipe lint')?.flags).not.toContain('--machine');
  });
  it('fills placeholders and refuses to run a call with one unfilled', () => {
    expect(fillArgv(['app', 'deploy', '<domain>', '<version>'], { domain: 'a.b', version: '1.0.0' })).toEqual([
      'app',
      'deploy',
      'a.b',
      '1.0.0',
    ]);
    expect(() => fillArgv(['app', 'new', '<recipe>'], {})).toThrow(/<recipe> has no value/);
  });
});
