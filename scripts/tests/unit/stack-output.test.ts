import { describe, expect, it } from 'vitest';
import {
  formatSeconds,
  formatTable,
  formatTail,
  LineSplitter,
  LogTail,
  paint,
  prefixLine,
} from '../../lib/stack-output.js';

const rows = [
  { service: 'met-emulator', url: 'http://localhost:8090', docs: '-', status: 'ready in 0.6 s' },
  { service: 'model', url: 'ml/housing-price-model/models/default', docs: '-', status: 'trained in 21.3 s' },
  { service: 'art-search', url: 'http://localhost:8000', docs: 'http://localhost:8000/docs', status: 'ready in 1.9 s' },
];

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape character is what is looked for
const ansi = /\u001b\[/;

describe('formatTable', () => {
  it('aligns every column on its widest cell, a header first, without colour codes by default', () => {
    // When
    const lines = formatTable(rows).split('\n');

    // Then
    expect(lines).toEqual([
      '  SERVICE       URL                                    DOCS                        STATUS',
      '  met-emulator  http://localhost:8090                  -                           ready in 0.6 s',
      '  model         ml/housing-price-model/models/default  -                           trained in 21.3 s',
      '  art-search    http://localhost:8000                  http://localhost:8000/docs  ready in 1.9 s',
    ]);
    expect(lines.join('\n')).not.toMatch(ansi);
  });

  it('keeps the same columns when coloured for a terminal', () => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping the colour codes
    const strip = (text: string) => text.replace(/\u001b\[\d+m/g, '');
    const coloured = formatTable(rows, true);
    expect(coloured).toMatch(ansi);
    expect(strip(coloured).replace(/ +$/gm, '')).toBe(formatTable(rows));
  });
});

describe('paint', () => {
  it('wraps text in an ANSI style only when enabled', () => {
    expect(paint('up', 'green', true)).toBe('\u001b[32mup\u001b[39m');
    expect(paint('up', 'green', false)).toBe('up');
  });
});

describe('formatSeconds', () => {
  it('shows tenths of a second', () => {
    expect(formatSeconds(449)).toBe('0.4 s');
    expect(formatSeconds(21_349)).toBe('21.3 s');
  });
});

describe('LogTail', () => {
  it('keeps only the last lines', () => {
    const tail = new LogTail(3);
    for (const line of ['a', 'b', 'c', 'd', 'e']) tail.push(line);
    expect(tail.lines()).toEqual(['c', 'd', 'e']);
  });
});

describe('LineSplitter', () => {
  it('gives whole lines whatever the chunk boundaries, and the unfinished end on flush', () => {
    // Given
    const splitter = new LineSplitter();

    // When
    const lines = [...splitter.push('first li'), ...splitter.push('ne\r\nsecond\nthi'), ...splitter.push('rd')];

    // Then
    expect(lines).toEqual(['first line', 'second']);
    expect(splitter.flush()).toEqual(['third']);
    expect(splitter.flush()).toEqual([]);
  });
});

describe('prefixLine and formatTail', () => {
  it('tags a line with its service, the tags padded to the longest name', () => {
    expect(prefixLine('model', 'price-orchestrator'.length, 'listening')).toBe('[model]              listening');
    expect(prefixLine('price-orchestrator', 'price-orchestrator'.length, 'up')).toBe('[price-orchestrator] up');
  });

  it('indents a log tail, or says the service wrote nothing', () => {
    expect(formatTail(['one', 'two'])).toBe('    one\n    two');
    expect(formatTail([])).toBe('    (it wrote nothing)');
  });
});
