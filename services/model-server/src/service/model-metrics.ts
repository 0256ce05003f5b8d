import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The model server's own metrics, beside service-kit's request metrics in the same registry. */
export interface ModelMetrics {
  rowsPredicted: Counter<'protocol'>;
  requestRows: Histogram<'protocol'>;
  runRows: Histogram;
  runRequests: Histogram;
  loadSeconds: Gauge;
}

const ROW_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 50_000];
const REQUEST_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** Registers the model metrics; the registry's default labels add the service, model name and version. */
export function createModelMetrics(registry: Registry): ModelMetrics {
  return {
    rowsPredicted: new Counter({
      name: 'model_rows_predicted_total',
      help: 'Rows scored, by protocol (mlflow or v2).',
      labelNames: ['protocol'],
      registers: [registry],
    }),
    requestRows: new Histogram({
      name: 'model_request_rows',
      help: 'Rows per prediction request (the batch size clients send).',
      labelNames: ['protocol'],
      buckets: ROW_BUCKETS,
      registers: [registry],
    }),
    runRows: new Histogram({
      name: 'model_run_rows',
      help: 'Rows per ONNX Runtime run, after merging concurrent requests.',
      buckets: ROW_BUCKETS,
      registers: [registry],
    }),
    runRequests: new Histogram({
      name: 'model_run_requests',
      help: 'Requests merged into one ONNX Runtime run.',
      buckets: REQUEST_BUCKETS,
      registers: [registry],
    }),
    loadSeconds: new Gauge({
      name: 'model_load_seconds',
      help: 'Time to load the model at start-up: MLmodel, ONNX Runtime session and one scoring of the input example.',
      registers: [registry],
    }),
  };
}
