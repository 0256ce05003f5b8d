import { describe, expect, it } from 'vitest';
import { CsvSyntaxError, parseCsv } from '../../src/csv.js';

describe('parseCsv', () => {
  it('splits plain records on commas and LF line ends', () => {
    // Given
    const text = 'a,b,c\n1,2,3\n';

    // When
    const records = parseCsv(text);

    // Then
    expect(records).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 2 },
    ]);
  });

  it('reads quoted fields holding commas, escaped quotes and CRLF line breaks', () => {
    // Given
    const text = 'name,note\r\n"Smith, J.","said ""hi""\r\nthen left"\r\nplain,""\r\n';

    // When
    const records = parseCsv(text);

    // Then
    expect(records).toEqual([
      { fields: ['name', 'note'], line: 1 },
      { fields: ['Smith, J.', 'said "hi"\r\nthen left'], line: 2 },
      { fields: ['plain', ''], line: 4 },
    ]);
  });

  it('skips a UTF-8 byte order mark before the header', () => {
    // Given
    const text = '\uFEFFid,value\n1,x';

    // When
    const records = parseCsv(text);

    // Then
    expect(records[0]?.fields).toEqual(['id', 'value']);
    expect(records[1]).toEqual({ fields: ['1', 'x'], line: 2 });
  });

  it('keeps empty fields, including a trailing one, and keeps whitespace verbatim', () => {
    // Given
    const text = 'a,b,c\n,,\n"WD ", x ,\n1,2,';

    // When
    const records = parseCsv(text);

    // Then
    expect(records.map((record) => record.fields)).toEqual([
      ['a', 'b', 'c'],
      ['', '', ''],
      ['WD ', ' x ', ''],
      ['1', '2', ''],
    ]);
  });

  it('skips blank lines but counts them in line numbers', () => {
    // Given
    const text = 'a\n\n1\r\n\r\n2\n\n';

    // When
    const records = parseCsv(text);

    // Then
    expect(records).toEqual([
      { fields: ['a'], line: 1 },
      { fields: ['1'], line: 3 },
      { fields: ['2'], line: 5 },
    ]);
  });

  it('accepts a lone CR as a line end', () => {
    // Given
    const text = 'a,b\r1,2\r';

    // When
    const records = parseCsv(text);

    // Then
    expect(records).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
    ]);
  });

  it('returns no records for empty text', () => {
    // Given / When / Then
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\n\r\n')).toEqual([]);
  });

  it('rejects an unterminated quoted field, naming the line where it opened', () => {
    // Given
    const text = 'a,b\n1,"open\nstill open';

    // When
    const parse = () => parseCsv(text);

    // Then
    expect(parse).toThrow(CsvSyntaxError);
    expect(parse).toThrow('line 2: quoted field is never closed');
  });

  it('rejects a quote inside an unquoted field', () => {
    // Given
    const text = 'a,b\n1,ab"c\n';

    // When / Then
    expect(() => parseCsv(text)).toThrow(/^line 2: '"' inside an unquoted field/);
  });

  it('rejects text right after a closing quote', () => {
    // Given
    const text = 'a,b\n"x"y,1\n';

    // When / Then
    expect(() => parseCsv(text)).toThrow("line 2: unexpected character 'y' after a closing quote");
  });
});
