import type { Logger } from 'pino';

import { DatabaseCounters } from './database-counters.js';
import { ExporterClient } from './exporter-client.js';
import type { ExportStats } from './exporter-protocol.js';
import { HttpMetrics, type RouteKey } from './http-metrics.js';
import type { MetricFamily } from './metric-family.js';
import { renderPrometheus } from './prometheus.js';
import { RequestTelemetry } from './request-telemetry.js';
import { exportFamilies, processFamilies } from './runtime-metrics.js';
import type { TelemetryConfig } from './telemetry-config.js';

/** A component's metrics, read when metrics are collected. */
export type MetricSource = () => MetricFamily[];

/** At most one export-failure warning per this long. */
const WARN_INTERVAL_MS = 60_000;

/**
 * The process's telemetry: request metrics and sampling for the front end, the counters the
 * workers share, the export thread (started only when an OTLP endpoint is configured), and
 * the metric sources that GET /metrics and the OTLP metric export read.
 */
export class Telemetry {
  readonly requests: RequestTelemetry;
  readonly databaseCounters = new DatabaseCounters();
  readonly #metrics: HttpMetrics;
  readonly #exporter: ExporterClient | null;
  readonly #sources: MetricSource[] = [];
  readonly #log: Logger;
  readonly #timer: NodeJS.Timeout | null = null;
  readonly #isMetricsExported: boolean;
  #warnedAt = 0;
  #lastFailures = 0;

  constructor(config: TelemetryConfig, log: Logger, routes: readonly RouteKey[]) {
    this.#log = log;
    this.#metrics = new HttpMetrics(routes);
    this.#exporter =
      config.traces === null && config.metrics === null
        ? null
        : new ExporterClient(
            {
              serviceName: config.serviceName,
              resourceAttributes: config.resourceAttributes,
              traces: config.traces,
              metrics: config.metrics,
              startMs: Date.now(),
            },
            (stats) => this.#onExportStats(stats),
          );
    this.requests = new RequestTelemetry({
      metrics: this.#metrics,
      exporter: config.traces === null ? null : this.#exporter,
      sampling: config.sampling,
      log,
    });

    if (config.metrics !== null && this.#exporter !== null) {
      const exporter = this.#exporter;
      this.#timer = setInterval(
        () => exporter.sendMetrics(this.collect(), Date.now()),
        config.metrics.intervalMs,
      ).unref();
    }
    this.#isMetricsExported = config.metrics !== null;
  }

  /** True when spans are exported (workers then record theirs). */
  get isTracing(): boolean {
    return this.requests.isRecording;
  }

  addSource(source: MetricSource): void {
    this.#sources.push(source);
  }

  collect(): MetricFamily[] {
    const families = [...this.#metrics.families()];
    for (const source of this.#sources) families.push(...source());
    if (this.#exporter !== null) families.push(...exportFamilies(this.#exporter.stats));
    families.push(...processFamilies());
    return families;
  }

  /** GET /metrics: the Prometheus text exposition format. */
  renderPrometheus(): string {
    return renderPrometheus(this.collect());
  }

  /** Exports the last metrics and every buffered span, then stops the export thread. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#exporter === null) return;

    if (this.#isMetricsExported) this.#exporter.sendMetrics(this.collect(), Date.now());
    await this.#exporter.close();
  }

  #onExportStats(stats: ExportStats): void {
    const failures = stats.spansFailed + stats.spansDropped + stats.metricExportFailures;
    if (failures === this.#lastFailures) return;
    this.#lastFailures = failures;
    if (Date.now() - this.#warnedAt < WARN_INTERVAL_MS) return;

    this.#warnedAt = Date.now();
    this.#log.warn(
      {
        spansFailed: stats.spansFailed,
        spansDropped: stats.spansDropped,
        metricExportFailures: stats.metricExportFailures,
        lastError: stats.lastError,
      },
      'telemetry export degraded',
    );
  }
}
