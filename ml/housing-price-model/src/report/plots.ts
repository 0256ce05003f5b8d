/**
 * Hand-written SVG scatter plots of validation predictions: small, dependency-free, readable in a browser, in
 * MLflow's artifact viewer and inlined in report.html.
 */

const WIDTH = 640;
const HEIGHT = 600;
const MARGIN = { top: 64, right: 40, bottom: 72, left: 92 };
const PLOT_WIDTH = WIDTH - MARGIN.left - MARGIN.right;
const PLOT_HEIGHT = HEIGHT - MARGIN.top - MARGIN.bottom;
const TARGET_TICKS = 6;

export interface PlotInput {
  actual: readonly number[];
  predicted: readonly number[];
}

/**
 * Actual price (x) against predicted price (y) on the same dollar scale, with the y = x line a perfect model
 * would follow.
 */
export function actualVsPredictedSvg({ actual, predicted }: PlotInput): string {
  checkPairs(actual, predicted);
  const low = Math.min(0, minOf(actual), minOf(predicted));
  const high = Math.max(maxOf(actual), maxOf(predicted));
  const ticks = niceTicks(low, high);
  const domain: Range = [ticks[0] ?? low, ticks.at(-1) ?? high];
  const x = scale(domain, [MARGIN.left, MARGIN.left + PLOT_WIDTH]);
  const y = scale(domain, [MARGIN.top + PLOT_HEIGHT, MARGIN.top]);
  const identity = `<line class="reference" x1="${x(domain[0])}" y1="${y(domain[0])}" x2="${x(domain[1])}" y2="${y(domain[1])}"/>`;
  return svgDocument({
    title: 'Actual vs predicted sale price',
    subtitle: `${actual.length} validation rows; the dashed line is a perfect prediction (y = x)`,
    xLabel: 'Actual sale price',
    yLabel: 'Predicted sale price',
    xTicks: ticks,
    yTicks: ticks,
    x,
    y,
    overlay: identity,
    points: actual.map((value, index) => [value, predicted[index] ?? 0] as const),
  });
}

/**
 * Residuals (actual − predicted, y) against the predicted price (x), with the zero line and dotted lines one
 * RMSE above and below it.
 */
export function residualsSvg({ actual, predicted }: PlotInput): string {
  checkPairs(actual, predicted);
  const residuals = actual.map((value, index) => value - (predicted[index] ?? 0));
  const rmse = Math.sqrt(residuals.reduce((sum, value) => sum + value * value, 0) / residuals.length);
  const xTicks = niceTicks(Math.min(0, minOf(predicted)), maxOf(predicted));
  const reach = Math.max(maxOf(residuals.map(Math.abs)), rmse);
  const yTicks = niceTicks(-reach, reach);
  const x = scale([xTicks[0] ?? 0, xTicks.at(-1) ?? 1], [MARGIN.left, MARGIN.left + PLOT_WIDTH]);
  const y = scale([yTicks[0] ?? -1, yTicks.at(-1) ?? 1], [MARGIN.top + PLOT_HEIGHT, MARGIN.top]);
  const left = MARGIN.left;
  const right = MARGIN.left + PLOT_WIDTH;
  const band = [rmse, -rmse]
    .map(
      (level) =>
        `<line class="band" x1="${left}" y1="${y(level)}" x2="${right}" y2="${y(level)}"/>` +
        `<text class="band-label" x="${right - 4}" y="${y(level) - 4}" text-anchor="end">${level > 0 ? '+' : '−'}RMSE ${escapeXml(formatDollars(rmse))}</text>`,
    )
    .join('');
  return svgDocument({
    title: 'Residuals vs predicted sale price',
    subtitle: `${actual.length} validation rows; residual = actual − predicted (above 0: price under-predicted)`,
    xLabel: 'Predicted sale price',
    yLabel: 'Residual',
    xTicks,
    yTicks,
    x,
    y,
    overlay: `<line class="reference" x1="${left}" y1="${y(0)}" x2="${right}" y2="${y(0)}"/>${band}`,
    points: predicted.map((value, index) => [value, residuals[index] ?? 0] as const),
  });
}

/** Dollar amounts for axes and tables: `$0`, `$950`, `$125k`, `$1.25M`, `−$40k`. */
export function formatDollars(value: number): string {
  const sign = value < 0 ? '−' : '';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e6) return `${sign}$${trimZeros((magnitude / 1e6).toFixed(2))}M`;
  if (magnitude >= 1e3) return `${sign}$${trimZeros((magnitude / 1e3).toFixed(1))}k`;
  return `${sign}$${Math.round(magnitude)}`;
}

/**
 * Evenly spaced round tick values (steps of 1, 2, 2.5 or 5 × 10^k) covering [low, high], about
 * {@link TARGET_TICKS} of them.
 */
export function niceTicks(low: number, high: number): number[] {
  if (!(high > low)) return [low - 1, low, low + 1];
  const rough = (high - low) / (TARGET_TICKS - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 2.5, 5, 10].find((factor) => factor * power >= rough) ?? 10) * power;
  const ticks: number[] = [];
  // Integer multiples of the step, cleaned of float noise (3 × 0.2 is 0.6000000000000001).
  for (let index = Math.floor(low / step); ; index++) {
    const tick = Number((index * step).toPrecision(12));
    ticks.push(tick);
    if (tick >= high) break;
  }
  return ticks;
}

type Range = readonly [number, number];
type Scale = (value: number) => number;

function scale([d0, d1]: Range, [r0, r1]: Range): Scale {
  return (value) => round(r0 + ((value - d0) / (d1 - d0)) * (r1 - r0));
}

interface SvgParts {
  title: string;
  subtitle: string;
  xLabel: string;
  yLabel: string;
  xTicks: number[];
  yTicks: number[];
  x: Scale;
  y: Scale;
  overlay: string;
  points: (readonly [number, number])[];
}

function svgDocument(parts: SvgParts): string {
  const { x, y } = parts;
  const left = MARGIN.left;
  const right = MARGIN.left + PLOT_WIDTH;
  const top = MARGIN.top;
  const bottom = MARGIN.top + PLOT_HEIGHT;
  const xGrid = parts.xTicks
    .map(
      (tick) =>
        `<line class="grid" x1="${x(tick)}" y1="${top}" x2="${x(tick)}" y2="${bottom}"/>` +
        `<text class="tick" x="${x(tick)}" y="${bottom + 20}" text-anchor="middle">${escapeXml(formatDollars(tick))}</text>`,
    )
    .join('');
  const yGrid = parts.yTicks
    .map(
      (tick) =>
        `<line class="grid" x1="${left}" y1="${y(tick)}" x2="${right}" y2="${y(tick)}"/>` +
        `<text class="tick" x="${left - 10}" y="${y(tick) + 4}" text-anchor="end">${escapeXml(formatDollars(tick))}</text>`,
    )
    .join('');
  const points = parts.points.map(([px, py]) => `<circle cx="${x(px)}" cy="${y(py)}" r="3"/>`).join('');
  const yLabelX = 22;
  const yLabelY = top + PLOT_HEIGHT / 2;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(parts.title)}">`,
    `<title>${escapeXml(parts.title)}</title>`,
    '<style>',
    'text{font-family:system-ui,-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;fill:#1f2933}',
    '.title{font-size:18px;font-weight:600}.subtitle{font-size:12px;fill:#52606d}',
    '.tick{font-size:12px;fill:#52606d}.label{font-size:13px;font-weight:600}',
    '.grid{stroke:#e4e7eb;stroke-width:1}.axis{stroke:#9aa5b1;stroke-width:1}',
    '.reference{stroke:#c2410c;stroke-width:1.5;stroke-dasharray:6 4}',
    '.band{stroke:#c2410c;stroke-width:1;stroke-dasharray:2 3;opacity:.7}.band-label{font-size:11px;fill:#c2410c}',
    'circle{fill:#2563eb;fill-opacity:.45}',
    '</style>',
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`,
    `<text class="title" x="${left}" y="28">${escapeXml(parts.title)}</text>`,
    `<text class="subtitle" x="${left}" y="48">${escapeXml(parts.subtitle)}</text>`,
    xGrid,
    yGrid,
    `<line class="axis" x1="${left}" y1="${bottom}" x2="${right}" y2="${bottom}"/>`,
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${bottom}"/>`,
    `<g>${points}</g>`,
    parts.overlay,
    `<text class="label" x="${left + PLOT_WIDTH / 2}" y="${HEIGHT - 20}" text-anchor="middle">${escapeXml(parts.xLabel)}</text>`,
    `<text class="label" x="${yLabelX}" y="${yLabelY}" text-anchor="middle" transform="rotate(-90 ${yLabelX} ${yLabelY})">${escapeXml(parts.yLabel)}</text>`,
    '</svg>',
    '',
  ].join('\n');
}

function checkPairs(actual: readonly number[], predicted: readonly number[]): void {
  if (actual.length === 0 || actual.length !== predicted.length) {
    throw new RangeError(
      `a plot needs paired values: actual has ${actual.length}, predicted has ${predicted.length} (both ≥ 1 and equal)`,
    );
  }
}

// Loops rather than Math.min(...values): spreading a large array overflows the call stack.
function minOf(values: readonly number[]): number {
  let low = Number.POSITIVE_INFINITY;
  for (const value of values) if (value < low) low = value;
  return low;
}

function maxOf(values: readonly number[]): number {
  let high = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > high) high = value;
  return high;
}

function trimZeros(text: string): string {
  return text.includes('.') ? text.replace(/\.?0+$/, '') : text;
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/** Escapes text for XML and HTML content and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
