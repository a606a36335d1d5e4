// serve's config reload, on SIGHUP and when cc-ci.yml changes on disk: the file is read and
// checked again; forge.repos (the listed repositories and orgs) takes effect at once, and every
// other changed setting is named as needing a restart (the running config stays for it). A file
// that no longer reads or validates is logged with why, and the config in effect stays.
import { changedKeys, restartKeys } from '../config/config-changes.js';
import { loadConfigAsync, type Config } from '../config/load-config.js';
import { watchFile, type FileWatch } from '../config/watch-file.js';
import type { Logger } from '../log/create-logger.js';
import type { Clock } from '../model/clock.js';
import { CcciError, errorMessage } from '../model/errors.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import type { Serving } from '../server/serve.js';

export interface ConfigReloadDeps {
  /** The config serve started with (its `path` is the file read again). */
  config: Config;
  secrets: SecretRegistry;
  log: Logger;
  serving: Pick<Serving, 'enrol'>;
  clock?: Clock;
  /** The quiet time after the last change of the file before it is read (default 500 ms). */
  debounceMs?: number;
  /** Watch the file for changes (default true); SIGHUP reloads either way. */
  watch?: boolean;
}

export interface ConfigReload {
  /** Reads the file again now; resolves when what it changed is in effect (an org discovered). */
  reload(why: string): Promise<void>;
  close(): void;
}

export function startConfigReload(deps: ConfigReloadDeps): ConfigReload {
  const { config, secrets, log } = deps;
  let chain: Promise<void> = Promise.resolve();
  const reload = (why: string) => {
    chain = chain.then(() => reloadOnce(why)).catch(() => undefined);
    return chain;
  };
  const reloadOnce = async (why: string) => {
    let next: Config;
    try {
      next = await loadConfigAsync({ path: config.path, secrets });
    } catch (err) {
      const code = err instanceof CcciError ? err.code : 'INTERNAL';
      log.error(
        { code, why },
        `reloading the config (${why}) failed, so the config read before stays in effect: ${errorMessage(err)} — ` +
          'fix the file (cc-ci doctor checks it); it is read again when it is saved or on kill -HUP',
      );
      return;
    }
    const restart = restartKeys(changedKeys(config, next));
    log.info(
      { why, restart },
      `config reloaded (${why}): forge.repos takes effect now` +
        (restart.length
          ? `; these changed settings need a restart of cc-ci serve: ${restart.join(', ')}`
          : '; no other setting changed'),
    );
    await deps.serving.enrol({ repos: next.forge?.repos ?? [], repoOrgs: next.forge?.repoOrgs ?? [] });
  };
  let watcher: FileWatch | undefined;
  if (deps.watch !== false) {
    watcher = watchFile(config.path, () => void reload('the file changed'), {
      debounceMs: deps.debounceMs,
      clock: deps.clock,
      onError: (err) =>
        log.warn(`watching ${config.path} stopped (${err.message}): reload the config with kill -HUP instead`),
    });
  }
  return { reload, close: () => watcher?.close() };
}
