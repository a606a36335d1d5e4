// What a maintainer needs to fix a failure, gathered before teardown removes it: the tail of each
// service's logs (dead tasks included) as an artifact, and the image each service ran. Nothing
// here may break a run: failures are logged and whatever was gathered is returned.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../model/errors.js';

export interface ServiceDiagnostics {
  /** Compose service name (without the `<stack>_` prefix). */
  name: string;
  /** Image reference without a `@sha256:` pin; '' when it could not be read. */
  image: string;
  /** The pinned digest, else the local image id; absent when the image is unknown. */
  digest?: string;
  /** Artifact file name of the service's log tail, when one was written. */
  log?: string;
}

/** The part of SwarmDocker diagnostics use (a fake in unit tests). */
export interface DiagnosticsPort {
  services(stack: string): Promise<{ name: string }[]>;
  serviceLogs(service: string, opts: { tail: number; signal?: AbortSignal; timeoutMs?: number }): Promise<string>;
  serviceImages(stack: string): Promise<Array<{ service: string; image: string; digest?: string }>>;
}

export interface CollectOptions {
  docker: DiagnosticsPort;
  stack: string;
  /** Which app of the run (install, upgrade): part of the file name. */
  role: string;
  artifactsDir: string;
  /** Masks secrets; every byte written passes it. */
  redact: (text: string) => string;
  /** Log lines per service; default 200. */
  tail?: number;
  log?: (line: string) => void;
}

// Names become file names: nothing that could leave the folder or confuse a shell.
const SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/** Writes `logs-<role>-<service>.txt` for every service of the stack; one entry per service. Never throws. */
export async function collectDiagnostics(opts: CollectOptions): Promise<ServiceDiagnostics[]> {
  const log = (line: string) => {
    try {
      opts.log?.(opts.redact(line));
    } catch {
      // A broken logger must not break teardown either.
    }
  };
  const tail = opts.tail ?? 200;
  const prefix = `${opts.stack}_`;
  let services: { name: string }[];
  try {
    services = await opts.docker.services(opts.stack);
  } catch (err) {
    log(`diagnostics of ${opts.stack}: listing services failed: ${errorMessage(err)}`);
    return [];
  }
  const images = new Map<string, { image: string; digest?: string }>();
  try {
    for (const i of await opts.docker.serviceImages(opts.stack)) images.set(i.service, i);
  } catch (err) {
    log(`diagnostics of ${opts.stack}: reading service images failed: ${errorMessage(err)}`);
  }
  const roleSafe = SAFE_NAME.test(opts.role);
  if (!roleSafe)
    log(
      `diagnostics of ${opts.stack}: role ${JSON.stringify(opts.role)} is not a safe file name part; no logs written`,
    );

  const entries = await Promise.all(
    services.map(async ({ name: full }): Promise<ServiceDiagnostics> => {
      const name = full.startsWith(prefix) ? full.slice(prefix.length) : full;
      const found = images.get(name);
      const entry: ServiceDiagnostics = {
        name,
        image: found?.image ?? '',
        ...(found?.digest ? { digest: found.digest } : {}),
      };
      if (!roleSafe) return entry;
      if (!SAFE_NAME.test(name)) {
        log(
          `diagnostics of ${opts.stack}: service name ${JSON.stringify(name)} is not a safe file name; ` +
            'its logs are not written',
        );
        return entry;
      }
      try {
        const text = await opts.docker.serviceLogs(full, { tail });
        const file = `logs-${opts.role}-${name}.txt`;
        await writeFile(join(opts.artifactsDir, file), opts.redact(text));
        entry.log = file;
      } catch (err) {
        log(`diagnostics of ${opts.stack}: logs of ${full} not saved: ${errorMessage(err)}`);
      }
      return entry;
    }),
  );
  return entries.sort((a, b) => a.name.localeCompare(b.name));
}

const LAST_WORDS_MAX = 300;

/**
 * The last non-empty log lines of one service (full name), joined with " | " and cut to about
 * 300 characters from the end, for an error message; undefined when there are none or the logs
 * cannot be read. Never throws. The caller masks secrets (error messages are redacted on output).
 */
export async function lastWords(docker: DiagnosticsPort, service: string, lines = 3): Promise<string | undefined> {
  try {
    // Ask for more than needed: blank lines do not count.
    const text = await docker.serviceLogs(service, { tail: Math.max(lines * 4, 20), timeoutMs: 5_000 });
    const kept = text
      .split('\n')
      .map((l) => l.replace(/\r$/, '').trim())
      .filter((l) => l !== '')
      .slice(-lines);
    if (kept.length === 0) return undefined;
    const joined = kept.join(' | ');
    return joined.length <= LAST_WORDS_MAX ? joined : `…${joined.slice(joined.length - (LAST_WORDS_MAX - 1))}`;
  } catch {
    return undefined;
  }
}
