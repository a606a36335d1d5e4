// `cc-ci doctor`: the host against the config, each check with the ports it looks through.
import { abraCalls } from '../abra/abra-calls.js';
import { loadConfigAsync } from '../config/load-config.js';
import { doctorExitCode, formatResults, runChecks } from '../doctor/check.js';
import { doctorChecks } from '../doctor/doctor.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';
import { abraProbePort, backupsPort, browserPort, dockerPort, dockerProbePort, forgePort } from './ports.js';

export async function doctorCommand(flags: { config?: string }, secrets: SecretRegistry): Promise<number> {
  // A short admin token or webhook secret is one of the doctor's findings, not a reason to stop.
  const config = await loadConfigAsync({ path: flags.config, secrets, allowWeakSecrets: true });
  const checks = doctorChecks(config, {
    abra: abraProbePort(config),
    abraCalls,
    docker: dockerProbePort(config),
    chromium: browserPort().probe,
    // No waiting out a lock here: a locked repository is reported as it is.
    backups: backupsPort(dockerPort(config), { waitMs: 0 }),
    // One try, a short timeout: the doctor reports a slow forge instead of waiting it out.
    forge: forgePort(config, { retries: 0, timeoutMs: 5_000 })?.client,
  });
  const results = await runChecks(checks);
  process.stdout.write(secrets.redact([`cc-ci doctor: ${config.path}`, ...formatResults(results)].join('\n')) + '\n');
  return doctorExitCode(results);
}
