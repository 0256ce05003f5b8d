import { describe, expect, it } from 'vitest';
import { actualVsPredictedSvg, escapeXml, formatDollars, niceTicks, residualsSvg } from '../../../src/report/plots.js';
import { formatBytes, renderReportHtml } from '../../../src/report/report-html.js';
import type { DataProfile } from '../../../src/runs/data-profile.js';
import type { RunInfo, RunMetricsFile, RunParamsFile } from '../../../src/runs/run-files.js';

const ACTUAL = [120_000, 180_000, 250_000, 410_000];
const PREDICTED = [130_000, 170_000, 265_000, 380_000];

describe('actualVsPredictedSvg', () => {
  it('draws one point per row, dollar tick labels, a title and the y = x line', () => {
    // Given
    const input = { actual: ACTUAL, predicted: PREDICTED };

    // When
    const svg = actualVsPredictedSvg(input);

    // Then
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.match(/<circle /g)).toHaveLength(4);
    expect(svg).toContain('<title>Actual vs predicted sale price</title>');
    expect(svg).toContain('>$0</text>');
    expect(svg).toContain('>$500k</text>');
    expect(svg).toContain('Actual sale price');
    expect(svg).toContain('Predicted sale price');
    const identity = /<line class="reference" x1="([\d.]+)" y1="([\d.]+)" x2="([\d.]+)" y2="([\d.]+)"\/>/.exec(svg);
    expect(identity).not.toBeNull();
    // The line runs from the bottom-left to the top-right corner of the plot.
    const [x1, y1, x2, y2] = (identity ?? []).slice(1).map(Number);
    expect(x2).toBeGreaterThan(x1 ?? 0);
    expect(y2).toBeLessThan(y1 ?? 0);
  });

  it('rejects unpaired values', () => {
    // Given
    const input = { actual: [1, 2], predicted: [1] };

    // When
    const draw = () => actualVsPredictedSvg(input);

    // Then
    expect(draw).toThrow(/actual has 2, predicted has 1/);
  });
});

describe('residualsSvg', () => {
  it('plots residuals around a zero line with RMSE bands labelled in dollars', () => {
    // Given
    const input = { actual: ACTUAL, predicted: PREDICTED };

    // When
    const svg = residualsSvg(input);

    // Then
    const rmse = Math.sqrt((10_000 ** 2 + 10_000 ** 2 + 15_000 ** 2 + 30_000 ** 2) / 4);
    expect(svg).toContain('<title>Residuals vs predicted sale price</title>');
    expect(svg).toContain(`+RMSE ${formatDollars(rmse)}`);
    expect(svg).toContain('−$20k');
    expect(svg.match(/<circle /g)).toHaveLength(4);
  });
});

describe('niceTicks', () => {
  it.each([
    [0, 755_000, [0, 200_000, 400_000, 600_000, 800_000]],
    [-32_000, 32_000, [-40_000, -20_000, 0, 20_000, 40_000]],
    [0, 1, [0, 0.2, 0.4, 0.6, 0.8, 1]],
  ])('covers %d to %d with round steps', (low, high, expected) => {
    // Given / When
    const ticks = niceTicks(low, high);

    // Then
    expect(ticks).toEqual(expected);
  });
});

describe('formatDollars', () => {
  it.each([
    [0, '$0'],
    [950, '$950'],
    [125_000, '$125k'],
    [31_172.24, '$31.2k'],
    [1_250_000, '$1.25M'],
    [-40_000, '−$40k'],
  ])('formats %d as %s', (value, expected) => {
    // Given / When
    const text = formatDollars(value);

    // Then
    expect(text).toBe(expected);
  });
});

describe('renderReportHtml', () => {
  const info: RunInfo = {
    run_id: 'abcdef0123456789abcdef0123456789',
    run_name: '20250101T000000Z-abcdef01',
    created_utc: '2025-01-01T00:00:00.000Z',
    producer: '@mlms/housing-price-model train',
    mlflow: null,
  };
  const params: RunParamsFile = {
    n_trees: 10,
    seed: 7,
    threads: 2,
    bootstrap: true,
    max_features: '1.0',
    split_rule: 'squared error',
    validation_rule: 'row i is a validation row when i % 5 == 0',
    target: 'Sale_Price',
    data_path: '/data/<ames>.csv',
    data_sha256: 'f'.repeat(64),
    rows: 5,
    train_rows: 4,
    validation_rows: 1,
    input_columns: 3,
    features: 4,
  };
  const metrics: RunMetricsFile = {
    rmse: 25_431.7,
    mae: 15_002.2,
    r2: 0.91234,
    fit_seconds: 3.21,
    export_seconds: 0.5,
    model_size_bytes: 9_123_456,
    onnx_max_relative_diff: 4.6e-8,
  };
  const profile: DataProfile = {
    data_path: '/data/<ames>.csv',
    target: 'Sale_Price',
    rows: 5,
    train_rows: 4,
    feature_count: 4,
    dropped_columns: ['Pool_QC'],
    target_in_training: { min: 100_000, median: 150_000, mean: 160_000, max: 250_000 },
    columns: [
      { name: 'Lot_Area', type: 'long', role: 'numeric', missing_in_training: 0, median: 9_000 },
      {
        name: 'Street',
        type: 'string',
        role: 'categorical',
        missing_in_training: 0,
        most_frequent: 'Pave',
        levels: [],
      },
      { name: 'Pool_QC', type: 'string', role: 'dropped', missing_in_training: 4 },
    ],
  };

  it('is one self-contained page with the metrics, parameters and both plots inlined', () => {
    // Given
    const input = {
      info,
      params,
      metrics,
      profile,
      actualVsPredictedSvg: '<svg id="plot-a"></svg>',
      residualsSvg: '<svg id="plot-b"></svg>',
    };

    // When
    const html = renderReportHtml(input);

    // Then
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('$25.4k');
    expect(html).toContain('25,432 dollars');
    expect(html).toContain('$15k');
    expect(html).toContain('0.9123');
    expect(html).toContain('9.12 MB');
    expect(html).toContain('4.60e-8');
    expect(html).toContain('<svg id="plot-a"></svg>');
    expect(html).toContain('<svg id="plot-b"></svg>');
    expect(html).toContain('<code>n_trees</code></td><td>10</td>');
    expect(html).toContain('1 numeric, 1 categorical, 1 dropped');
    expect(html).not.toMatch(/<(script|link)\b/);
  });

  it('escapes text taken from the data so it cannot inject markup', () => {
    // Given
    const input = { info, params, metrics, profile, actualVsPredictedSvg: '', residualsSvg: '' };

    // When
    const html = renderReportHtml(input);

    // Then
    expect(html).toContain('/data/&lt;ames&gt;.csv');
    expect(html).not.toContain('/data/<ames>.csv');
  });
});

describe('escapeXml and formatBytes', () => {
  it('escapes the five XML special characters and prints sizes in decimal units', () => {
    // Given / When
    const escaped = escapeXml(`<a href="x">Tom & Jerry's</a>`);

    // Then
    expect(escaped).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;');
    expect([formatBytes(812), formatBytes(93_400), formatBytes(8_910_000)]).toEqual(['812 B', '93.4 kB', '8.91 MB']);
  });
});
