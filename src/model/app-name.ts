// Test app names: `<short>-<6hex>.<domain>` (DESIGN §4.3). The stack name is the domain with dots
// turned into underscores, as abra derives it; abra cuts a stack name at 45 characters
// (interfaces.md A.4 [U]), and Docker limits service names to 63 characters and secret and
// config names to 64, so the names are kept short and checked.
import { randomBytes } from 'node:crypto';
import { CcciError } from './errors.js';

export interface AppName {
  domain: string;
  stack: string;
}

/** abra's MAX_SANITISED_APP_NAME_LENGTH (interfaces.md A.4 [U]): longer stack names are cut. */
export const MAX_STACK_NAME = 45;
/** `<short>-<6hex>.` at its longest: what newAppName puts before swarm.domain. */
const LONGEST_PREFIX = 'xxxx-xxxxxx.'.length;

export function newAppName(recipe: string, swarmDomain: string): AppName {
  const short = recipe.replace(/[^a-z0-9]/g, '').slice(0, 4) || 'app';
  const domain = `${short}-${randomBytes(3).toString('hex')}.${swarmDomain}`;
  checkStackNameLength(domain, swarmDomain);
  return { domain, stack: stackName(domain) };
}

/**
 * Refuses an app whose stack name abra would cut: its services, secrets and volumes would then
 * carry a name cc-ci does not know, so it could neither check nor clean them up. The cause is
 * always the operator's swarm.domain (CONFIG_INVALID).
 */
export function checkStackNameLength(domain: string, swarmDomain: string): void {
  const stack = stackName(domain);
  if (stack.length <= MAX_STACK_NAME) return;
  throw new CcciError(
    'CONFIG_INVALID',
    `the stack name ${stack} would be ${stack.length} characters, but abra cuts stack names at ${MAX_STACK_NAME}; ` +
      `swarm.domain ${JSON.stringify(swarmDomain)} is ${swarmDomain.length} characters ` +
      `and may be at most ${maxSwarmDomainLength()}: use a shorter swarm.domain`,
  );
}

/** The longest swarm.domain for which every test app's stack name stays within abra's limit. */
export function maxSwarmDomainLength(): number {
  return MAX_STACK_NAME - LONGEST_PREFIX;
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
    ...services
      .map((s) => `${stack}_${s}`)
      .filter((n) => n.length > MAX_SERVICE_NAME)
      .map((n) => `service ${n} (${n.length} > ${MAX_SERVICE_NAME})`),
    ...secretNames
      .filter((n) => n.length > MAX_SECRET_NAME)
      .map((n) => `secret ${n} (${n.length} > ${MAX_SECRET_NAME})`),
  ];
  if (tooLong.length > 0) {
    throw new CcciError(
      'CONFIG_INVALID',
      `swarm names would exceed Docker's limits: ${tooLong.join(', ')}; use a shorter swarm.domain`,
    );
  }
}
