/** What the root `npm start` prints: the table of the running stack, children's lines, log tails. */

export interface TableRow {
  service: string;
  url: string;
  docs: string;
  status: string;
}

const HEADERS: TableRow = { service: 'SERVICE', url: 'URL', docs: 'DOCS', status: 'STATUS' };
const COLUMNS = ['service', 'url', 'docs', 'status'] as const;

/** ANSI styles for a terminal; `enabled` false (redirected output, NO_COLOR) returns the text as it is. */
export function paint(text: string, style: 'bold' | 'green' | 'dim' | 'red', enabled: boolean): string {
  if (!enabled) return text;
  const codes = { bold: [1, 22], green: [32, 39], dim: [2, 22], red: [31, 39] } as const;
  const [open, close] = codes[style];
  return `\u001b[${open}m${text}\u001b[${close}m`;
}

/**
 * The stack as an aligned plain-text table, one line per row, every line indented by two spaces. Widths come from
 * the plain text, so colour (added only on a terminal) never shifts a column.
 */
export function formatTable(rows: readonly TableRow[], color = false): string {
  const widths = COLUMNS.map((column) => Math.max(...[HEADERS, ...rows].map((row) => row[column].length)));
  const line = (row: TableRow, style?: 'bold' | 'green') =>
    `  ${COLUMNS.map((column, index) => {
      const cell = index === COLUMNS.length - 1 ? row[column] : row[column].padEnd(widths[index] ?? 0);
      return style && (style === 'bold' || column === 'status') ? paint(cell, style, color) : cell;
    }).join('  ')}`.trimEnd();
  return [line(HEADERS, 'bold'), ...rows.map((row) => line(row, 'green'))].join('\n');
}

/** "0.4 s", "31.2 s": start-up times at the precision a person reads them. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The last `size` lines written, for naming what went wrong when a service fails. */
export class LogTail {
  readonly #lines: string[] = [];

  constructor(readonly size = 20) {}

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.size) this.#lines.shift();
  }

  lines(): string[] {
    return [...this.#lines];
  }
}

/**
 * Cuts a byte stream into whole lines: a child's chunks end anywhere, and a prefixed line must not be split in two.
 * Keeps the unfinished end until the next chunk or `flush()`.
 */
export class LineSplitter {
  #pending = '';

  push(chunk: string): string[] {
    const parts = (this.#pending + chunk).split('\n');
    this.#pending = parts.pop() ?? '';
    return parts.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
  }

  /** The unfinished last line, if any (at the end of the stream). */
  flush(): string[] {
    const rest = this.#pending;
    this.#pending = '';
    return rest === '' ? [] : [rest];
  }
}

/** `[art-search]  line`, with the tags padded to one width so the lines of all services start in one column. */
export function prefixLine(name: string, width: number, line: string, color = false): string {
  const tag = `[${name}]`.padEnd(width + 2);
  return `${paint(tag, 'dim', color)} ${line}`.trimEnd();
}

/** The log tail block of a failure report: each line indented, or a note that the service wrote nothing. */
export function formatTail(lines: readonly string[]): string {
  if (lines.length === 0) return '    (it wrote nothing)';
  return lines.map((line) => `    ${line}`.trimEnd()).join('\n');
}
