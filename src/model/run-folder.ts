// The run folder of the child contract (DESIGN §2): `<store>/runs/<run-id>/`. Every file of a run
// is named here, once, for the child that writes it and for the server that reads it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { stopCodes, type StopCode } from './errors.js';
import { runResultsSchema, type RunResults } from './results.js';

export interface RunFolder {
  /** `<store>/runs/<id>/`. */
  dir: string;
  /** What the run publishes: run.log, results.json, junit.xml, screenshots, service logs. */
  artifacts: string;
  /** The live log, JSON lines, already masked. */
  log: string;
  results: string;
  /** One JSON event a line (model/run-events.ts). */
  events: string;
  /** Why whoever stopped the run stopped it (written before SIGTERM). */
  stopReason: string;
  /** The local child's stdout and stderr, for a run that dies before its log exists. */
  childOutput: string;
  /** The first clone of the recipe, at the head. */
  checkout: string;
}

export function runFolder(store: string, runId: string): RunFolder {
  const dir = join(store, 'runs', runId);
  const artifacts = join(dir, 'artifacts');
  return {
    dir,
    artifacts,
    log: join(artifacts, 'run.log'),
    results: join(artifacts, 'results.json'),
    events: join(dir, 'events.jsonl'),
    stopReason: join(dir, 'stop-reason.json'),
    childOutput: join(dir, 'child-output.txt'),
    checkout: join(dir, 'checkout'),
  };
}

const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

/** A plain file name in a run's artifacts folder: no folder, no `..`, nothing hidden. */
export function isArtifactName(name: string): boolean {
  return ARTIFACT_NAME.test(name) && !name.includes('..');
}

/** A run id: sortable by time, unique enough for one server (letters, digits and `-`). */
export function newRunId(now = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

export interface StopReason {
  code: StopCode;
  message: string;
}

/** Tells the run why it is being stopped; it reports this code and message instead of "stopped by SIGTERM". */
export function writeStopReason(folder: RunFolder, reason: StopReason): void {
  writeFileSync(folder.stopReason, JSON.stringify(reason));
}

/** The reason the stopper gave, if it left one; anything malformed falls back to a plain cancel. */
export function readStopReason(folder: RunFolder): StopReason | undefined {
  try {
    const raw = JSON.parse(readFileSync(folder.stopReason, 'utf8')) as { code?: unknown; message?: unknown };
    if (typeof raw.code !== 'string' || !(stopCodes as readonly string[]).includes(raw.code)) return undefined;
    const message =
      typeof raw.message === 'string' && raw.message.length > 0 ? raw.message.slice(0, 500) : raw.code.toLowerCase();
    return { code: raw.code as StopCode, message };
  } catch {
    return undefined;
  }
}

/**
 * A run's results.json, when it is there and valid. Validated: a remote run's results came over
 * the network (the ingest route), and a file cut short by a crash must not pass for results.
 */
export function readResults(file: string): RunResults | undefined {
  try {
    const parsed = runResultsSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
