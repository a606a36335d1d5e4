// App .env files: docker env_file syntax as abra reads it (godotenv-like: quotes stripped,
// ` # comment` after an unquoted value dropped). Writes keep every other line untouched.
import { readFile, writeFile } from 'node:fs/promises';

export interface EnvLine {
  key: string;
  value: string;
  /** the text after `#` on the line, e.g. `length=32` */
  comment: string;
}

const LINE = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*)$/;

/** Split a raw value into the value and a trailing comment. */
function splitValue(raw: string): { value: string; comment: string } {
  const q = raw[0];
  if (q === '"' || q === "'") {
    const end = raw.indexOf(q, 1);
    if (end > 0) {
      const rest = raw.slice(end + 1);
      const hash = rest.indexOf('#');
      return { value: raw.slice(1, end), comment: hash >= 0 ? rest.slice(hash + 1).trim() : '' };
    }
  }
  const m = /\s#/.exec(raw);
  if (m) return { value: raw.slice(0, m.index).trim(), comment: raw.slice(m.index + 2).trim() };
  return { value: raw.trim(), comment: '' };
}

export function parseEnvLines(text: string): EnvLine[] {
  const lines: EnvLine[] = [];
  for (const line of text.split('\n')) {
    if (/^\s*#/.test(line)) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    lines.push({ key: m[1] ?? '', ...splitValue(m[2] ?? '') });
  }
  return lines;
}

/** Later lines win, like docker's env_file. */
export function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const l of parseEnvLines(text)) env[l.key] = l.value;
  return env;
}

export async function readEnvFile(path: string): Promise<{ text: string; env: Record<string, string> }> {
  const text = await readFile(path, 'utf8');
  return { text, env: parseEnv(text) };
}

/** Replace the first uncommented `KEY=` line, or add one (at the top when `prepend`). */
export function setEnvKey(text: string, key: string, value: string, prepend = false): string {
  const lines = text.split('\n');
  const re = new RegExp(`^\\s*(?:export\\s+)?${key.replace(/\./g, '\\.')}\\s*=`);
  const idx = lines.findIndex((l) => re.test(l));
  if (idx >= 0) {
    lines[idx] = `${key}=${value}`;
    return lines.join('\n');
  }
  if (prepend) return [`${key}=${value}`, ...lines].join('\n');
  const body = text.length === 0 || text.endsWith('\n') ? text : `${text}\n`;
  return `${body}${key}=${value}\n`;
}

export async function writeEnvFile(path: string, text: string): Promise<void> {
  await writeFile(path, text, 'utf8');
}

/** `export NAME=value` lines of a recipe's abra.sh (parsed, never executed). */
export function parseAbraSh(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*export\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1] ?? ''] = splitValue(m[2] ?? '').value;
  }
  return env;
}
