// Reads the tables a CLI prints for a person, as abra does for `recipe lint` and `app secret
// generate` (it has no machine mode for some of them). Written by hand because no library parses
// rendered tables back: it copes with the styles a terminal program draws (charmbracelet/lipgloss
// box tables with any border set — │ ┃ ║ — ASCII `+--+ | |` tables, and plain columns separated
// by spaces), colours and other control sequences, and cells wrapped onto continuation lines.

export interface ParsedTable {
  /** Header cells, lower-cased. */
  header: string[];
  /** One record per row, keyed by the lower-cased header. */
  rows: Array<Record<string, string>>;
}

/** Terminal control sequences: CSI (colours, cursor moves), OSC (titles, links), other ESC pairs. */
// One alternative a line, joined into the single regex they were: /CSI|OSC|ESC pair|lone control/g.
const CONTROL = new RegExp(
  [
    /* eslint-disable no-control-regex -- matching control characters is the point */
    /\u001b\[[0-9;?<>=!]*[ -/]*[@-~]/.source,
    /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/.source,
    /\u001b[@-Z\\-_]/.source,
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.source,
    /* eslint-enable no-control-regex */
  ].join('|'),
  'g',
);

/** The text a person reads: control sequences removed, CRLF turned into LF, redrawn lines at their last state. */
export function plainText(text: string): string {
  return text
    .replace(CONTROL, '')
    .split('\n')
    .map((line) => {
      const parts = line.split('\r').filter((p) => p !== '');
      return parts[parts.length - 1] ?? '';
    })
    .join('\n');
}

const VERTICAL = /[│┃║┆┇┊┋|]/;
const BORDER_ONLY = /^[\s─━═┄┅┈┉╌╍┌┐└┘├┤┬┴┼┏┓┗┛┣┫┳┻╋╭╮╯╰╔╗╚╝╠╣╦╩╬┍┑┕┙┝┥┯┷┿┎┒┖┚┠┨┰┸╂╒╓╕╖╘╙╛╜╞╟╡╢╤╥╧╨╪╫+\-=:│┃║|]+$/;

/**
 * The first table whose header has every one of `columns` (case-insensitive), or undefined.
 * Box tables are tried first, then plain column tables.
 */
export function findTable(text: string, columns: readonly string[]): ParsedTable | undefined {
  const lines = plainText(text).split('\n');
  const wanted = columns.map((c) => c.toLowerCase());
  const fits = (t: ParsedTable) => wanted.every((c) => t.header.includes(c));
  return boxTables(lines).find(fits) ?? plainTable(lines, wanted);
}

/** Consecutive lines drawn with vertical bars (and the border lines between them) are one table. */
function boxTables(lines: string[]): ParsedTable[] {
  const tables: ParsedTable[] = [];
  let block: string[][] = [];
  const close = () => {
    if (block.length > 0) tables.push(fromCells(block));
    block = [];
  };
  for (const line of lines) {
    const trimmed = line.trim();
    // A border line (top, under the header, between rows, bottom) carries no cells.
    if (trimmed !== '' && BORDER_ONLY.test(trimmed)) continue;
    if (VERTICAL.test(trimmed)) block.push(cellsOf(trimmed));
    else close();
  }
  close();
  return tables;
}

function cellsOf(line: string): string[] {
  let inner = line;
  if (VERTICAL.test(inner[0] ?? '')) inner = inner.slice(1);
  if (VERTICAL.test(inner[inner.length - 1] ?? '')) inner = inner.slice(0, -1);
  return inner.split(VERTICAL).map((c) => c.trim());
}

/** First line is the header; a line whose first cell is empty continues the row above (a wrapped cell). */
function fromCells(block: string[][]): ParsedTable {
  const [head = [], ...body] = block;
  const header = head.map((h) => h.toLowerCase());
  const rows: string[][] = [];
  for (const cells of body) {
    const previous = rows[rows.length - 1];
    if (previous && cells[0] === '' && cells.some((c) => c !== '')) {
      cells.forEach((c, i) => {
        if (c !== '') previous[i] = previous[i] ? `${previous[i]} ${c}` : c;
      });
    } else if (cells.some((c) => c !== '')) {
      rows.push([...cells]);
    }
  }
  return { header, rows: rows.map((cells) => record(header, cells)) };
}

/** A header line naming the wanted columns, then rows until a blank line or a log line. */
function plainTable(lines: string[], wanted: string[]): ParsedTable | undefined {
  const at = lines.findIndex((l) => {
    const words = splitColumns(l).map((w) => w.toLowerCase());
    return words.length >= 2 && wanted.every((c) => words.includes(c));
  });
  if (at < 0) return undefined;
  const headLine = lines[at] ?? '';
  const header = splitColumns(headLine).map((h) => h.toLowerCase());
  const starts = header.map((h) => headLine.toLowerCase().indexOf(h));
  const rows: Array<Record<string, string>> = [];
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '' || /^(INFO|WARN|WARNING|FATA|ERRO|DEBU)\b/.test(line.trim())) break;
    const split = splitColumns(line);
    // Split on runs of spaces when that gives every column; otherwise cut at the header's positions.
    const cells =
      split.length === header.length ? split : starts.map((s, i) => line.slice(s, starts[i + 1] ?? line.length).trim());
    rows.push(record(header, cells));
  }
  return { header, rows };
}

function splitColumns(line: string): string[] {
  return line
    .trim()
    .split(/\s{2,}/)
    .filter((w) => w !== '');
}

function record(header: string[], cells: string[]): Record<string, string> {
  return Object.fromEntries(header.map((h, i) => [h, cells[i] ?? '']));
}

/** A JSON list in a CLI's output (a machine mode), possibly after log lines. */
export function jsonList(text: string): Array<Record<string, unknown>> | undefined {
  const start = text.indexOf('[');
  const end = text.lastIndexOf(']');
  if (start < 0 || end < start) return undefined;
  try {
    const data = JSON.parse(text.slice(start, end + 1)) as unknown;
    if (Array.isArray(data))
      return data.map((item) => (item && typeof item === 'object' ? item : {}) as Record<string, unknown>);
  } catch {
    /* not JSON */
  }
  return undefined;
}
