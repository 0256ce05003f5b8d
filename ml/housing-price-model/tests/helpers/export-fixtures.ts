import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FittedPipeline, RawRow } from '../../src/model.js';

/**
 * A two-tree pipeline small enough to evaluate by hand.
 *
 * Features: 0 `area` (median 100), 1 `lat` (median 0.5), 2 `color=red`, 3 `color=blue` (most frequent `red`);
 * `note` is a dropped text column.
 * Tree A: area <= 150 → 10; else color=red <= 0.5 → 20 (not red), else 30 (red).
 * Tree B: color=blue <= 0.5 → 100 (not blue), else 200 (blue).
 * The prediction is the mean of the two trees.
 */
export function tinyPipeline(): FittedPipeline {
  return {
    preprocessor: {
      target: 'price',
      inputColumns: [
        { name: 'area', type: 'long' },
        { name: 'color', type: 'string' },
        { name: 'note', type: 'string' },
        { name: 'lat', type: 'double' },
      ],
      droppedColumns: ['note'],
      numeric: [
        { name: 'area', median: 100 },
        { name: 'lat', median: 0.5 },
      ],
      categorical: [{ name: 'color', mostFrequent: 'red', levels: ['red', 'blue'] }],
      featureNames: ['area', 'lat', 'color_red', 'color_blue'],
    },
    forest: {
      nFeatures: 4,
      trees: [
        {
          feature: Int32Array.from([0, -1, 2, -1, -1]),
          threshold: Float32Array.from([150, 0, 0.5, 0, 0]),
          left: Int32Array.from([1, 0, 3, 0, 0]),
          right: Int32Array.from([2, 0, 4, 0, 0]),
          value: Float64Array.from([0, 10, 0, 20, 30]),
        },
        {
          feature: Int32Array.from([3, -1, -1]),
          threshold: Float32Array.from([0.5, 0, 0]),
          left: Int32Array.from([1, 0, 0]),
          right: Int32Array.from([2, 0, 0]),
          value: Float64Array.from([0, 100, 200]),
        },
      ],
    },
  };
}

/** Rows for {@link tinyPipeline} with the prices worked out by hand from the trees above. */
export const TINY_CASES: { description: string; row: RawRow; expected: number }[] = [
  { description: 'small red house', row: { area: 100, color: 'red', note: 'x', lat: 1 }, expected: (10 + 100) / 2 },
  { description: 'large red house', row: { area: 200, color: 'red', note: 'x', lat: 1 }, expected: (30 + 100) / 2 },
  { description: 'large blue house', row: { area: 200, color: 'blue', note: 'x', lat: 1 }, expected: (20 + 200) / 2 },
  {
    description: 'unknown level encodes as all zeros',
    row: { area: 200, color: 'green', note: 'x', lat: 1 },
    expected: (20 + 100) / 2,
  },
  {
    description: 'missing numeric takes the median (100 <= 150)',
    row: { area: null, color: 'blue', note: 'x', lat: 1 },
    expected: (10 + 200) / 2,
  },
  {
    description: 'missing text takes the most frequent level (red)',
    row: { area: 200, color: null, note: 'x', lat: 1 },
    expected: (30 + 100) / 2,
  },
  {
    description: 'empty text and the NA marker count as missing',
    row: { area: 'NA', color: 'NA', note: '', lat: '' },
    expected: (10 + 100) / 2,
  },
  {
    description: 'numeric text is read as a number; the dropped column is ignored',
    row: { area: '151', color: '', note: 42, lat: '0.25' },
    expected: (30 + 100) / 2,
  },
];

/** A fresh temporary directory and its cleanup. */
export async function temporaryDirectory(prefix: string): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${prefix}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/**
 * A small synthetic housing CSV (deterministic): `area` (long), `quality` (text, one row empty), `lat` (double),
 * `note` (text, mostly empty, so the preprocessor drops it) and the target `Sale_Price`. Trains in milliseconds.
 */
export function syntheticHousingCsv(rows = 60): string {
  const qualities = ['Good', 'Average', 'Poor'];
  const lines = ['area,quality,lat,note,Sale_Price'];
  for (let index = 0; index < rows; index++) {
    const area = 800 + ((index * 137) % 1700);
    const quality = index === 7 ? '' : (qualities[index % 3] ?? 'Average');
    const lat = (42 + ((index * 7) % 100) / 1000).toFixed(3);
    const note = index % 10 === 0 ? 'corner' : '';
    const price = 50 * area + (quality === 'Good' ? 40_000 : quality === 'Poor' ? -20_000 : 0) + (index % 5) * 1000;
    lines.push(`${area},${quality},${lat},${note},${price}`);
  }
  return `${lines.join('\n')}\n`;
}
