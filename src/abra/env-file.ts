// The app .env file (Docker env_file syntax, no `export`): read values, and set keys in place so
// abra's own lines and comments survive.
import { readFileSync, writeFileSync } from 'node:fs';

export function readEnvFile(path: string): Record<string, string> {
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m?.[1]) values[m[1]] = unquote(stripComment(m[2] ?? ''));
  }
  return values;
}

/** Sets each key: replaces its line if present (also a commented-out `#KEY=`), else appends. */
export function setEnvValues(path: string, values: Record<string, string>): void {
  const lines = readFileSync(path, 'utf8').replace(/\n$/, '').split('\n');
  for (const [key, value] of Object.entries(values)) {
    if (/[\n\r]/.test(value)) throw new Error(`env value for ${key} contains a newline`);
    const line = `${key}=${value}`;
    const at = lines.findIndex((l) => new RegExp(`^\\s*#?\\s*${key}=`).test(l));
    if (at >= 0) lines[at] = line;
    else lines.push(line);
  }
  writeFileSync(path, lines.join('\n') + '\n');
}

function stripComment(value: string): string {
  if (/^\s*['"]/.test(value)) return value.trim();
  const hash = value.search(/\s#/);
  return (hash >= 0 ? value.slice(0, hash) : value).trim();
}

function unquote(value: string): string {
  const m = /^(['"])(.*)\1$/.exec(value);
  return m ? (m[2] ?? '') : value;
}
