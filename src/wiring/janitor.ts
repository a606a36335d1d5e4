// `cc-ci janitor`: reaps leftover test apps that no live run owns and that are older than the
// age asked for (runner.janitorMaxAge by default), and at any age those an ended run recorded as
// left behind. Exit 3 when a teardown left something.
import { parseDuration } from '../config/duration.js';
import { loadConfigAsync } from '../config/load-config.js';
import { createLogger } from '../log/create-logger.js';
import { CcciError } from '../model/errors.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { abraPort, clockPort, dockerPort, janitorPort } from './ports.js';

export interface JanitorFlags {
  maxAge?: string;
  config?: string;
}

export async function janitorCommand(flags: JanitorFlags, secrets: SecretRegistry): Promise<number> {
  const config = await loadConfigAsync({ path: flags.config, secrets });
  const maxAgeMs = flags.maxAge === undefined ? config.runner.janitorMaxAge : parseDuration(flags.maxAge);
  if (maxAgeMs === undefined) {
    const got = JSON.stringify(flags.maxAge);
    throw new CcciError('USAGE', `--max-age: expected a duration like 0, 30m or 2h, got ${got}`);
  }
  const { log, close } = createLogger({ secrets });
  const abra = abraPort(config, { onLine: (l) => log.info({ src: 'abra' }, l) });
  const docker = dockerPort(config);
  const janitor = janitorPort(config, { abra, docker, clock: clockPort(), log: (line) => log.info(line) });
  const report = await janitor({ maxAgeMs });
  const dirty = report.reaped.filter((r) => r.left.length > 0);
  const { keptLive, keptYoung, keptUnsure, unreadableLeases, leftBehind, recordsKept } = report;
  const unsure =
    unreadableLeases.length > 0
      ? `, ${keptUnsure.length} because ${unreadableLeases.length} live-looking lease(s) could not be read`
      : '';
  const ofThem = leftBehind.length > 0 ? ` (${leftBehind.length} left behind by ended runs, at any age)` : '';
  log.info(
    {
      reaped: report.reaped.map((r) => r.domain),
      leftBehind,
      keptLive,
      keptYoung,
      keptUnsure,
      unreadableLeases,
      recordsKept,
    },
    `janitor: reaped ${report.reaped.length}${ofThem}, kept ${keptLive.length} owned by live runs, ` +
      `${keptYoung.length} younger than the age${unsure}`,
  );
  if (recordsKept.length > 0)
    log.warn(
      { records: recordsKept },
      `${recordsKept.length} record(s) of apps left behind stay until those apps are gone: the next pass tries again`,
    );
  for (const r of dirty) log.error({ domain: r.domain, left: r.left }, 'janitor could not remove everything');
  await close();
  return dirty.length > 0 ? 3 : 0;
}
