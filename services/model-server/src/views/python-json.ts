/**
 * Parses JSON as Python's `json.loads` does, which is what MLflow's scoring server uses: besides standard JSON it
 * accepts the bare tokens `NaN`, `Infinity` and `-Infinity`, which Python clients send whenever a DataFrame holds a
 * missing value (`json.dumps` and `requests.post(json=...)` write NaN that way).
 *
 * Standard JSON takes the fast path (`JSON.parse`); only a body that fails it is scanned, and the three tokens
 * outside strings are rewritten to values `JSON.parse` reads: `NaN` as `null` (what a missing value becomes in any
 * column here) and the infinities as numbers too large for a double, which `JSON.parse` reads as ±Infinity.
 *
 * @throws SyntaxError when the text is not JSON even with those tokens.
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    if (!/NaN|Infinity/.test(text)) throw error;
    return JSON.parse(rewriteNonFiniteTokens(text));
  }
}

function rewriteNonFiniteTokens(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (inString) {
      if (char === 0x5c)
        index++; // backslash: skip the escaped character
      else if (char === 0x22) inString = false;
      continue;
    }
    if (char === 0x22) {
      inString = true;
      continue;
    }
    let replacement: string | undefined;
    let length = 0;
    if (text.startsWith('NaN', index)) [replacement, length] = ['null', 3];
    else if (text.startsWith('-Infinity', index)) [replacement, length] = ['-1e999', 9];
    else if (text.startsWith('Infinity', index)) [replacement, length] = ['1e999', 8];
    if (replacement !== undefined) {
      out += text.slice(copiedUpTo, index) + replacement;
      index += length - 1;
      copiedUpTo = index + 1;
    }
  }
  return out + text.slice(copiedUpTo);
}
