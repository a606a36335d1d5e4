// Loggers whose every line passes through the secret registry before it reaches a terminal or a
// file. Lines are serialised by pino first, so the JSON-escaped form of a secret is masked too.
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { SecretRegistry } from '../secrets/secret-registry.js';

export type { Logger };

export interface LoggerOptions {
  secrets: SecretRegistry;
  /** JSON lines are appended here (the run's stored log). */
  file?: string;
  /** Human-readable lines to stderr. */
  console?: boolean;
  level?: string;
}

export interface ClosableLogger {
  log: Logger;
  close(): Promise<void>;
}

export function createLogger({ secrets, file, console = true, level = 'info' }: LoggerOptions): ClosableLogger {
  const sinks: Array<{ write(s: string): unknown }> = [];
  let fileStream: WriteStream | undefined;
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    fileStream = createWriteStream(file, { flags: 'a' });
    sinks.push(fileStream);
  }
  if (console) {
    sinks.push(
      pretty({
        destination: 2,
        sync: true,
        colorize: false,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname',
      }),
    );
  }
  const destination = {
    write(line: string) {
      const masked = secrets.redact(line);
      for (const sink of sinks) {
        // A terminal that went away (SIGHUP, a closed pipe) must not stop the run's teardown.
        try {
          sink.write(masked);
        } catch {
          /* the other sinks still get the line */
        }
      }
    },
  };
  const log = pino({ level, base: undefined }, destination);
  return {
    log,
    close: () => new Promise<void>((done) => (fileStream ? fileStream.end(done) : done())),
  };
}
