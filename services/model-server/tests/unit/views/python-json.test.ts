import { describe, expect, it } from 'vitest';
import { parsePythonJson } from '../../../src/views/python-json.js';

describe('parsePythonJson', () => {
  it('parses standard JSON as JSON.parse does', () => {
    // When / Then
    expect(parsePythonJson('{"a": [1, 2.5, null, "x", true]}')).toEqual({ a: [1, 2.5, null, 'x', true] });
  });

  it('reads NaN as null and the infinities as numbers', () => {
    // When
    const value = parsePythonJson('[NaN, Infinity, -Infinity, 1]');

    // Then
    expect(value).toEqual([null, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1]);
  });

  it('reads the tokens as object values, with and without spaces', () => {
    // When
    const value = parsePythonJson('{"a":NaN,"b": -Infinity ,"c":\nInfinity}');

    // Then
    expect(value).toEqual({ a: null, b: Number.NEGATIVE_INFINITY, c: Number.POSITIVE_INFINITY });
  });

  it('leaves the tokens inside strings alone', () => {
    // When
    const value = parsePythonJson('{"NaN": "NaN", "x": NaN, "s": "-Infinity Infinity"}');

    // Then
    expect(value).toEqual({ NaN: 'NaN', x: null, s: '-Infinity Infinity' });
  });

  it('follows escaped quotes and backslashes inside strings', () => {
    // When
    const value = parsePythonJson('["a \\" NaN", "b \\\\", NaN, "\\\\\\" Infinity"]');

    // Then
    expect(value).toEqual(['a " NaN', 'b \\', null, '\\" Infinity']);
  });

  it('refuses text that is not JSON, with or without the tokens', () => {
    // When / Then
    expect(() => parsePythonJson('{"a": }')).toThrow(SyntaxError);
    expect(() => parsePythonJson('[NaN,')).toThrow(SyntaxError);
    expect(() => parsePythonJson('nan')).toThrow(SyntaxError);
    expect(() => parsePythonJson('[-NaN]')).toThrow(SyntaxError);
  });

  it('does not turn a token inside a string into JSON when the rest is invalid', () => {
    // When / Then
    expect(() => parsePythonJson('"NaN')).toThrow(SyntaxError);
  });
});
