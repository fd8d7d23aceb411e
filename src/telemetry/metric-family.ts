/**
 * Metrics as plain data: what GET /metrics renders in Prometheus text format and what the
 * export thread turns into an OTLP request. Values are cumulative since the process started.
 */
export type MetricFamily = CounterFamily | GaugeFamily | HistogramFamily;

export interface CounterFamily {
  type: 'counter';
  /** Prometheus name without the `_total` suffix, e.g. `eventflow_http_requests`. */
  name: string;
  help: string;
  unit?: string;
  samples: Sample[];
}

export interface GaugeFamily {
  type: 'gauge';
  name: string;
  help: string;
  unit?: string;
  samples: Sample[];
}

export interface HistogramFamily {
  type: 'histogram';
  name: string;
  help: string;
  unit?: string;
  /** Upper bounds of every bucket but the last (+Inf). */
  bounds: readonly number[];
  samples: HistogramSample[];
}

export type Labels = Record<string, string>;

export interface Sample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Per-bucket counts (not cumulative), one more than `bounds`. */
  counts: number[];
  sum: number;
  count: number;
}
