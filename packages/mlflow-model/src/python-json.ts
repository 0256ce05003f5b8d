/**
 * JSON text formatted the way Python's `json.dumps` does by default (`", "` and `": "` separators, non-ASCII
 * escaped as `\uXXXX`). MLflow stores the signature as such a string inside MLmodel, so writing it the same way
 * keeps our files byte-comparable with MLflow's and readable by its tooling.
 */
export function pythonJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return escapeNonAscii(JSON.stringify(value));
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
    return JSON.stringify(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return `[${value.map((item) => pythonJsonDumps(item)).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries.map(([key, item]) => `${escapeNonAscii(JSON.stringify(key))}: ${pythonJsonDumps(item)}`).join(', ')}}`;
  }
  throw new TypeError(`cannot serialize a ${typeof value} as JSON`);
}

function escapeNonAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
