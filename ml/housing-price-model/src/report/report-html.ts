import type { DataProfile } from '../runs/data-profile.js';
import type { RunInfo, RunMetricsFile, RunParamsFile } from '../runs/run-files.js';
import { escapeXml, formatDollars } from './plots.js';

export interface ReportInput {
  info: RunInfo;
  params: RunParamsFile;
  metrics: RunMetricsFile;
  profile: DataProfile;
  /** SVG markup, inlined so the report is one self-contained file. */
  actualVsPredictedSvg: string;
  residualsSvg: string;
}

/**
 * A single-file HTML report of a run: metrics, parameters, data summary, both plots inlined, and links to the
 * model files (relative, so the report works wherever the run directory is copied).
 */
export function renderReportHtml(input: ReportInput): string {
  const { info, params, metrics, profile } = input;
  const metricRows: [string, string, string][] = [
    ['RMSE', formatDollars(metrics.rmse), `${formatNumber(metrics.rmse, 0)} dollars, validation rows`],
    ['MAE', formatDollars(metrics.mae), `${formatNumber(metrics.mae, 0)} dollars, validation rows`],
    ['R²', metrics.r2.toFixed(4), 'share of price variance explained'],
    ['Fit time', `${metrics.fit_seconds.toFixed(2)} s`, `${params.n_trees} trees on ${params.threads} threads`],
    ['Export time', `${metrics.export_seconds.toFixed(2)} s`, 'ONNX graph, MLflow files, ONNX Runtime check'],
    ['Model size', formatBytes(metrics.model_size_bytes), 'model.onnx and input examples'],
    [
      'ONNX parity',
      metrics.onnx_max_relative_diff.toExponential(2),
      `max relative difference, ONNX Runtime vs TypeScript evaluator, ${params.validation_rows} rows`,
    ],
  ];
  const paramRows = Object.entries(params).map(([key, value]) => [key, String(value)] as const);
  const byRole = (role: string) => profile.columns.filter((column) => column.role === role).length;
  const tracking = info.mlflow
    ? `MLflow run <code>${escapeXml(info.mlflow.run_id)}</code> on ${escapeXml(info.mlflow.tracking_uri)}`
    : 'not tracked in MLflow (MLFLOW_TRACKING_URI was not set)';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Housing price model – run ${escapeXml(info.run_name)}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2933;
         margin: 0; background: #f5f7fa; }
  main { max-width: 1120px; margin: 0 auto; padding: 32px 24px 48px; }
  h1 { font-size: 26px; margin: 0 0 4px; }
  h2 { font-size: 19px; margin: 36px 0 12px; }
  .meta { color: #52606d; margin: 0 0 8px; font-size: 14px; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 12px; margin-top: 20px; }
  .card { background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 14px 16px; }
  .card .label { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: #52606d; }
  .card .value { font-size: 24px; font-weight: 600; margin-top: 4px; }
  table { border-collapse: collapse; background: #fff; border: 1px solid #e4e7eb; width: 100%; font-size: 14px; }
  th, td { text-align: left; padding: 7px 12px; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
  th { background: #eef2f6; font-weight: 600; }
  td.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
  code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; }
  .plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 16px; }
  .plots figure { margin: 0; background: #fff; border: 1px solid #e4e7eb; border-radius: 8px; padding: 8px; }
  .plots svg { width: 100%; height: auto; display: block; }
  ul.files { font-size: 14px; line-height: 1.7; }
</style>
</head>
<body>
<main>
<h1>Housing price model – run <code>${escapeXml(info.run_name)}</code></h1>
<p class="meta">Created ${escapeXml(info.created_utc.replace('T', ' ').replace(/\.\d+Z$/, ''))} UTC by ${escapeXml(info.producer)} · run id <code>${escapeXml(info.run_id)}</code> · ${tracking}</p>
<p class="meta">Random forest of ${params.n_trees} trees predicting <code>${escapeXml(params.target)}</code>; scores are on the ${params.validation_rows} validation rows (${escapeXml(params.validation_rule)}).</p>
<div class="cards">
  <div class="card"><div class="label">RMSE</div><div class="value">${formatDollars(metrics.rmse)}</div></div>
  <div class="card"><div class="label">MAE</div><div class="value">${formatDollars(metrics.mae)}</div></div>
  <div class="card"><div class="label">R²</div><div class="value">${metrics.r2.toFixed(3)}</div></div>
  <div class="card"><div class="label">Fit time</div><div class="value">${metrics.fit_seconds.toFixed(1)} s</div></div>
</div>

<h2>Metrics</h2>
<table>
<thead><tr><th>Metric</th><th>Value</th><th>Meaning</th></tr></thead>
<tbody>
${metricRows.map(([name, value, note]) => `<tr><td>${escapeXml(name)}</td><td class="num">${escapeXml(value)}</td><td>${escapeXml(note)}</td></tr>`).join('\n')}
</tbody>
</table>

<h2>Validation plots</h2>
<div class="plots">
<figure>${input.actualVsPredictedSvg}</figure>
<figure>${input.residualsSvg}</figure>
</div>

<h2>Parameters</h2>
<table>
<thead><tr><th>Parameter</th><th>Value</th></tr></thead>
<tbody>
${paramRows.map(([key, value]) => `<tr><td><code>${escapeXml(key)}</code></td><td>${escapeXml(value)}</td></tr>`).join('\n')}
</tbody>
</table>

<h2>Data</h2>
<table>
<tbody>
<tr><td>Rows</td><td class="num">${profile.rows} (${profile.train_rows} training, ${params.validation_rows} validation)</td></tr>
<tr><td>Input columns</td><td class="num">${profile.columns.length}: ${byRole('numeric')} numeric, ${byRole('categorical')} categorical, ${byRole('dropped')} dropped</td></tr>
<tr><td>Model features</td><td class="num">${profile.feature_count}</td></tr>
<tr><td>Dropped columns</td><td>${profile.dropped_columns.length === 0 ? 'none (no column is more than 30 % empty)' : profile.dropped_columns.map((name) => `<code>${escapeXml(name)}</code>`).join(', ')}</td></tr>
<tr><td>Training prices</td><td class="num">min ${formatDollars(profile.target_in_training.min)} · median ${formatDollars(profile.target_in_training.median)} · mean ${formatDollars(profile.target_in_training.mean)} · max ${formatDollars(profile.target_in_training.max)}</td></tr>
<tr><td>Data file</td><td><code>${escapeXml(params.data_path)}</code><br>sha256 <code>${escapeXml(params.data_sha256)}</code></td></tr>
</tbody>
</table>

<h2>Files</h2>
<ul class="files">
<li><a href="model/MLmodel">model/MLmodel</a> – MLflow model descriptor (ONNX and python_function flavours, signature)</li>
<li><a href="model/model.onnx">model/model.onnx</a> – the whole pipeline as one ONNX graph</li>
<li><a href="model/serving_input_example.json">model/serving_input_example.json</a> – a request body for <code>POST /invocations</code></li>
<li><a href="params.json">params.json</a>, <a href="metrics.json">metrics.json</a>, <a href="data_profile.json">data_profile.json</a></li>
</ul>
</main>
</body>
</html>
`;
}

function formatNumber(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Bytes as `812 B`, `93.4 kB` or `8.91 MB` (decimal units). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (bytes >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${bytes} B`;
}
