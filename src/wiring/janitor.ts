// `cc-ci janitor`: reaps leftover test apps that no live run owns and that are older than the
// age asked for (runner.janitorMaxAge by default). Exit 3 when a teardown left something.
import { parseDuration } from '../config/duration.js';
import { loadConfig } from '../config/load-config.js';
import { createLogger } from '../log/create-logger.js';
import { CcciError } from '../model/errors.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { abraPort, clockPort, dockerPort, janitorPort } from './ports.js';

export async function janitorCommand(flags: { maxAge?: string; config?: string }, secrets: SecretRegistry): Promise<number> {
  const config = loadConfig({ path: flags.config, secrets });
  const maxAgeMs = flags.maxAge === undefined ? config.runner.janitorMaxAge : parseDuration(flags.maxAge);
  if (maxAgeMs === undefined) throw new CcciError('USAGE', `--max-age: expected a duration like 0, 30m or 2h, got ${JSON.stringify(flags.maxAge)}`);
  const { log, close } = createLogger({ secrets });
  const abra = abraPort(config, { onLine: (l) => log.info({ src: 'abra' }, l) });
  const janitor = janitorPort(config, { abra, docker: dockerPort(config), clock: clockPort(), log: (line) => log.info(line) });
  const report = await janitor({ maxAgeMs });
  const dirty = report.reaped.filter((r) => r.left.length > 0);
  log.info({ reaped: report.reaped.map((r) => r.domain), keptLive: report.keptLive, keptYoung: report.keptYoung, keptUnsure: report.keptUnsure, unreadableLeases: report.unreadableLeases },
    `janitor: reaped ${report.reaped.length}, kept ${report.keptLive.length} owned by live runs, ${report.keptYoung.length} younger than the age` +
    (report.unreadableLeases.length > 0 ? `, ${report.keptUnsure.length} because ${report.unreadableLeases.length} live-looking lease(s) could not be read` : ''));
  for (const r of dirty) log.error({ domain: r.domain, left: r.left }, 'janitor could not remove everything');
  await close();
  return dirty.length > 0 ? 3 : 0;
}
