// An in-memory Abra (the port of src/abra/abra.ts) for unit tests of stages and the runner: it
// records every call and does what a test scripts, by default what abra would do to the app's
// .env. (test/support/fake-abra.ts is something else: a fake abra *program* for the adapter.)
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Abra, AbraCallOptions } from '../../src/abra/abra.js';
import { CcciError } from '../../src/model/errors.js';

export type AbraMethod = Exclude<keyof Abra, 'envFile'>;

export interface AbraCallRecord {
  method: AbraMethod;
  /** The arguments before the options. */
  args: unknown[];
  opts?: AbraCallOptions;
}

type Handler = (...args: never[]) => Promise<unknown>;

export interface FakeAbraOptions {
  /** Shared by several fakes (one per ABRA_DIR in a run), so a test sees all calls in order. */
  calls?: AbraCallRecord[];
  /** Extra lines `app new` writes into the .env, as the recipe's .env.sample would have them. */
  env?: Record<string, string>;
}

export class FakeAbraPort implements Abra {
  readonly calls: AbraCallRecord[];
  private readonly handlers = new Map<AbraMethod, Handler>();

  constructor(
    readonly serverDir: string,
    private readonly options: FakeAbraOptions = {},
  ) {
    this.calls = options.calls ?? [];
  }

  /** Scripts what a method does from now on (its arguments as the Abra interface has them). */
  on<M extends AbraMethod>(method: M, handler: Abra[M]): this {
    this.handlers.set(method, handler as Handler);
    return this;
  }

  /** The method throws `err`: every call, or the next `times` (then it does what it did before). */
  fail(method: AbraMethod, err: unknown, times = Infinity): this {
    const before = this.handlers.get(method);
    let left = times;
    this.handlers.set(method, (async (...args: never[]) => {
      if (left-- > 0) throw err;
      return before ? before(...args) : this.defaults[method](...args);
    }) as Handler);
    return this;
  }

  /** The method never finishes by itself: it ends when the call's signal aborts, as the adapter does. */
  hang(method: AbraMethod, onStart?: () => void): this {
    this.handlers.set(method, ((...args: unknown[]) => {
      const opts = args.find((a): a is AbraCallOptions => typeof a === 'object' && a !== null && 'signal' in a);
      onStart?.();
      return untilAborted(opts?.signal, `abra ${method}`);
    }) as Handler);
    return this;
  }

  /** The argument lists of every call of one method. */
  called(method: AbraMethod): unknown[][] {
    return this.calls.filter((c) => c.method === method).map((c) => c.args);
  }

  envFile(domain: string): string {
    return join(this.serverDir, `${domain}.env`);
  }

  appNew(recipe: string, domain: string, opts?: AbraCallOptions): Promise<void> {
    return this.dispatch('appNew', [recipe, domain], opts);
  }

  generateSecrets(domain: string, opts?: AbraCallOptions) {
    return this.dispatch('generateSecrets', [domain], opts) as ReturnType<Abra['generateSecrets']>;
  }

  deploy(domain: string, target: { chaos: true } | { version: string }, opts?: AbraCallOptions): Promise<void> {
    return this.dispatch('deploy', [domain, target], opts);
  }

  undeploy(domain: string, opts?: AbraCallOptions): Promise<void> {
    return this.dispatch('undeploy', [domain], opts);
  }

  remove(domain: string, opts?: AbraCallOptions): Promise<void> {
    return this.dispatch('remove', [domain], opts);
  }

  backupCreate(domain: string, opts?: AbraCallOptions): Promise<string> {
    return this.dispatch('backupCreate', [domain], opts);
  }

  restore(domain: string, opts?: AbraCallOptions): Promise<string> {
    return this.dispatch('restore', [domain], opts);
  }

  lint(recipe: string, opts?: AbraCallOptions) {
    return this.dispatch('lint', [recipe], opts) as ReturnType<Abra['lint']>;
  }

  /** What abra does when nothing is scripted. */
  private readonly defaults: Record<AbraMethod, Handler> = {
    appNew: (async (recipe: string, domain: string) => {
      mkdirSync(this.serverDir, { recursive: true });
      const extra = Object.entries(this.options.env ?? {})
        .map(([k, v]) => `${k}=${v}\n`)
        .join('');
      writeFileSync(this.envFile(domain), `TYPE=${recipe}\nDOMAIN=${domain}\nLETS_ENCRYPT_ENV=production\n${extra}`);
    }) as Handler,
    generateSecrets: (async () => []) as Handler,
    deploy: (async () => undefined) as Handler,
    undeploy: (async () => undefined) as Handler,
    remove: (async (domain: string) => rmSync(this.envFile(domain), { force: true })) as Handler,
    backupCreate: (async () => 'INFO backup created') as Handler,
    restore: (async () => 'INFO restore finished') as Handler,
    lint: (async () => []) as Handler,
  };

  private dispatch<T>(method: AbraMethod, args: unknown[], opts?: AbraCallOptions): Promise<T> {
    this.calls.push({ method, args, opts });
    const handler = this.handlers.get(method) ?? this.defaults[method];
    return (handler as (...a: unknown[]) => Promise<T>)(...args, opts);
  }
}

/** A pending abra call that ends the way the adapter ends one when the run is stopped. */
export function untilAborted(signal: AbortSignal | undefined, what: string): Promise<never> {
  return new Promise((_, reject) => {
    const stop = () => reject(new CcciError('CANCELLED', `${what}: cancelled`));
    if (signal?.aborted) stop();
    else signal?.addEventListener('abort', stop, { once: true });
  });
}
