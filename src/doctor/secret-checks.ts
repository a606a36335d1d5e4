// The secrets that can be guessed through cc-ci's own routes (the admin token, the webhook
// secret, the ingest secret) are long enough. Config loading refuses short ones; the doctor loads them anyway and
// says which, among its other findings.
import { MIN_GUESSABLE_SECRET_LENGTH, weakSecretProblems, type Config } from '../config/load-config.js';
import type { Outcome } from './check.js';

export async function checkSecretLengths(config: Pick<Config, 'secrets' | 'dashboard' | 'forge'>): Promise<Outcome> {
  const problems = weakSecretProblems(config);
  if (problems.length === 0) {
    const set = [
      config.secrets.adminToken && 'admin token',
      config.secrets.webhookSecret && 'webhook secret',
      config.secrets.ingestSecret && 'ingest secret',
    ];
    const named = set.filter(Boolean).join(' and ');
    return {
      ok: true,
      detail: named
        ? `${named}: at least ${MIN_GUESSABLE_SECRET_LENGTH} characters`
        : 'no admin token or webhook secret set',
    };
  }
  return {
    ok: false,
    detail: `${problems.length} too short (cc-ci serve refuses to start)`,
    more: problems,
    fix: `replace each with at least ${MIN_GUESSABLE_SECRET_LENGTH} random characters: openssl rand -hex 32`,
  };
}
