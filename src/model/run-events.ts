// The events file of the child contract (DESIGN §2): one JSON object a line, appended as the run
// goes, so the server, the dashboard and the PR comment follow a run without parsing its log.
// Lines pass the secret registry like everything else the run writes. Appends are synchronous,
// so a line is on disk before the next step starts and survives a kill -9.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { RunResults } from './results.js';
import type { StageName, StageResult } from './stage.js';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export type RunEvent =
  | { type: 'run-started'; recipe: string; repo?: string; ref: string; sha?: string; stages: string[]; pid: number }
  | { type: 'stage-started'; stage: StageName }
  | { type: 'stage-finished'; stage: StageName; result: StageResult }
  | { type: 'app-claimed'; domain: string; stack: string; role: string }
  | { type: 'app-released'; domain: string; kept: boolean; keepUntil?: string; left: string[] }
  | { type: 'run-finished'; exitCode: number; results: RunResults };

export type RunEventType = RunEvent['type'];

/** A line of the file: the event with its run, its place in the sequence and its time. */
export type RunEventLine = RunEvent & { runId: string; seq: number; at: string };

export interface RunEvents {
  emit(event: RunEvent): void;
}

export const noEvents: RunEvents = { emit: () => undefined };

export function eventsFile(
  path: string,
  runId: string,
  secrets: SecretRegistry,
  onError: (message: string) => void,
): RunEvents {
  mkdirSync(dirname(path), { recursive: true });
  let seq = 0;
  let broken = false;
  return {
    emit(event) {
      const line: RunEventLine = { runId, seq: ++seq, at: new Date().toISOString(), ...event };
      try {
        appendFileSync(path, secrets.redact(JSON.stringify(line)) + '\n');
      } catch (err) {
        // The run goes on (its results.json still tells the outcome); say it once.
        if (!broken) onError(`could not append to the events file ${path}: ${(err as Error).message}`);
        broken = true;
      }
    },
  };
}

/** Reads an events file back (for the server and tests); a torn last line is ignored. */
export function parseEvents(text: string): RunEventLine[] {
  return text.split('\n').flatMap((line) => {
    if (!line.trim()) return [];
    try {
      return [JSON.parse(line) as RunEventLine];
    } catch {
      return [];
    }
  });
}
