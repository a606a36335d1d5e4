// Test app names: `<short>-<6hex>.<domain>` (DESIGN §4.3). The stack name is the domain with dots
// turned into underscores, as abra derives it; Docker limits service names to 63 characters and
// secret and config names to 64, so the names are kept short and checked against the recipe.
import { randomBytes } from 'node:crypto';
import { CcciError } from '../errors.js';

export interface AppName {
  domain: string;
  stack: string;
}

export function newAppName(recipe: string, swarmDomain: string): AppName {
  const short = recipe.replace(/[^a-z0-9]/g, '').slice(0, 4) || 'app';
  const domain = `${short}-${randomBytes(3).toString('hex')}.${swarmDomain}`;
  return { domain, stack: stackName(domain) };
}

export function stackName(domain: string): string {
  return domain.replaceAll('.', '_');
}

/** Recognises names made by newAppName for this swarm domain, so the janitor never touches anything else. */
export function testAppPattern(swarmDomain: string): { domain: RegExp; stack: RegExp } {
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return {
    domain: new RegExp(`^[a-z0-9]{1,4}-[0-9a-f]{6}\\.${esc(swarmDomain)}$`),
    stack: new RegExp(`^[a-z0-9]{1,4}-[0-9a-f]{6}_${esc(stackName(swarmDomain))}$`),
  };
}

export const MAX_SERVICE_NAME = 63;
export const MAX_SECRET_NAME = 64;

/** Fails before deploying when a swarm name of this app would exceed Docker's limits. */
export function checkNameLimits(stack: string, services: string[], secretNames: string[]): void {
  const tooLong = [
    ...services.map((s) => `${stack}_${s}`).filter((n) => n.length > MAX_SERVICE_NAME).map((n) => `service ${n} (${n.length} > ${MAX_SERVICE_NAME})`),
    ...secretNames.filter((n) => n.length > MAX_SECRET_NAME).map((n) => `secret ${n} (${n.length} > ${MAX_SECRET_NAME})`),
  ];
  if (tooLong.length > 0) {
    throw new CcciError('CONFIG_INVALID', `swarm names would exceed Docker's limits: ${tooLong.join(', ')}; use a shorter swarm.domain`);
  }
}
