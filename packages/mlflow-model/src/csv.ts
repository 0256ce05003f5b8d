/**
 * A strict RFC 4180 CSV parser: comma-separated fields, double-quoted fields may hold commas, line breaks and
 * escaped quotes (`""`), records end with CRLF or LF (a lone CR is accepted too), an optional UTF-8 byte order
 * mark is skipped. Blank lines are skipped rather than read as one-field records, because they are almost always
 * an editor's trailing newline, not data.
 */

/** One CSV record and where it starts in the file, so callers can point users at the offending line. */
export interface CsvRecord {
  fields: string[];
  /** 1-based line number of the record's first character (records with quoted line breaks span several lines). */
  line: number;
}

/** The text is not well-formed CSV; `line` is the 1-based line where the problem was found. */
export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const BOM = 0xfeff;

/**
 * Parses CSV text into records. Field counts are not checked here (the dataset layer knows the header).
 *
 * @throws CsvSyntaxError on an unterminated quoted field, a quote inside an unquoted field, or text right after a
 * closing quote.
 */
export function parseCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const length = text.length;
  let position = text.charCodeAt(0) === BOM ? 1 : 0;
  let line = 1;

  let fields: string[] = [];
  let recordLine = 1;
  let recordHasContent = false;

  const endRecord = (): void => {
    if (recordHasContent) records.push({ fields, line: recordLine });
    fields = [];
    recordHasContent = false;
  };

  // Each iteration reads one field and the separator after it.
  while (position < length) {
    if (!recordHasContent) recordLine = line;
    let field: string;
    const quoted = text.charCodeAt(position) === QUOTE;
    if (quoted) {
      const quoteLine = line;
      position++;
      let value = '';
      let chunkStart = position;
      for (;;) {
        if (position >= length) {
          throw new CsvSyntaxError(`line ${quoteLine}: quoted field is never closed (missing closing '"')`, quoteLine);
        }
        const code = text.charCodeAt(position);
        if (code === QUOTE) {
          if (text.charCodeAt(position + 1) === QUOTE) {
            value += text.slice(chunkStart, position + 1);
            position += 2;
            chunkStart = position;
            continue;
          }
          value += text.slice(chunkStart, position);
          position++;
          break;
        }
        if (code === LF || (code === CR && text.charCodeAt(position + 1) !== LF)) line++;
        position++;
      }
      field = value;
      const next = position < length ? text.charCodeAt(position) : -1;
      if (next !== -1 && next !== COMMA && next !== LF && next !== CR) {
        throw new CsvSyntaxError(
          `line ${line}: unexpected character '${text[position]}' after a closing quote (expected ',' or a line end)`,
          line,
        );
      }
    } else {
      const start = position;
      while (position < length) {
        const code = text.charCodeAt(position);
        if (code === COMMA || code === LF || code === CR) break;
        if (code === QUOTE) {
          throw new CsvSyntaxError(
            `line ${line}: '"' inside an unquoted field (a field holding quotes must be enclosed in quotes, with each quote doubled)`,
            line,
          );
        }
        position++;
      }
      field = text.slice(start, position);
    }

    fields.push(field);
    if (quoted || field.length > 0 || fields.length > 1) recordHasContent = true;

    if (position >= length) break;
    const separator = text.charCodeAt(position);
    if (separator === COMMA) {
      recordHasContent = true;
      position++;
      // A comma as the very last character still ends with one more (empty) field.
      if (position >= length) fields.push('');
      continue;
    }
    // Line end: CRLF, LF or a lone CR.
    position += separator === CR && text.charCodeAt(position + 1) === LF ? 2 : 1;
    endRecord();
    line++;
  }
  endRecord();
  return records;
}
