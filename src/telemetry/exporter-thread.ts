import { parentPort, workerData } from 'node:worker_threads';

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

import type {
  ExporterSettings,
  ExportStats,
  FromExporter,
  ToExporter,
} from './exporter-protocol.js';
import { toReadableSpan, toResourceMetrics } from './otlp-conversion.js';
import type { MetricFamily } from './metric-family.js';
import type { OtlpTarget } from './telemetry-config.js';

/**
 * The telemetry export thread (node:worker_threads, not the piscina pool). The main thread
 * and the workers record finished spans as plain records; this thread turns them into SDK
 * spans, serialises them to OTLP protobuf and sends them, so neither cost lands on the
 * thread that answers HTTP. It also exports the metric snapshots the main thread sends.
 */
interface Exporter<T> {
  export(items: T, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** Exports in flight at once; more batches wait in the queue (and past its size, drop). */
const MAX_CONCURRENT_EXPORTS = 2;
const STATS_INTERVAL_MS = 1000;

const settings = workerData as ExporterSettings;
const port = parentPort;
if (port === null) throw new Error('exporter-thread must run as a worker thread');

const resource: Resource = resourceFromAttributes({
  'service.name': settings.serviceName,
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'eventflow',
  'process.pid': process.pid,
  ...settings.resourceAttributes,
});

const stats: ExportStats = {
  spansExported: 0,
  spansDropped: 0,
  spansFailed: 0,
  metricExports: 0,
  metricExportFailures: 0,
  lastError: null,
};

class SpanQueue {
  readonly #exporter: Exporter<ReadableSpan[]>;
  readonly #config: NonNullable<ExporterSettings['traces']>;
  #queue: ReadableSpan[] = [];
  #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(exporter: Exporter<ReadableSpan[]>, config: NonNullable<ExporterSettings['traces']>) {
    this.#exporter = exporter;
    this.#config = config;
  }

  add(records: ToExporter & { type: 'spans' }): void {
    for (const record of records.spans) {
      if (this.#queue.length >= this.#config.maxQueueSize) {
        stats.spansDropped++;
        continue;
      }
      this.#queue.push(toReadableSpan(record, resource));
    }
    this.#pump();
    if (this.#queue.length > 0 && this.#timer === null) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#pump(true);
      }, this.#config.scheduleDelayMs);
    }
  }

  /** Sends full batches (or everything, when `isDue`) while fewer than the limit are in flight. */
  #pump(isDue = false): void {
    while (
      this.#inFlight.size < MAX_CONCURRENT_EXPORTS &&
      (this.#queue.length >= this.#config.maxExportBatchSize || (isDue && this.#queue.length > 0))
    ) {
      void this.#send(this.#queue.splice(0, this.#config.maxExportBatchSize));
    }
  }

  #send(batch: ReadableSpan[]): Promise<void> {
    const sending = new Promise<void>((resolve) => {
      this.#exporter.export(batch, (result) => {
        if (result.code === ExportResultCode.SUCCESS) {
          stats.spansExported += batch.length;
        } else {
          stats.spansFailed += batch.length;
          stats.lastError = String(result.error?.message ?? 'span export failed');
        }
        resolve();
      });
    });
    this.#inFlight.add(sending);
    void sending.then(() => {
      this.#inFlight.delete(sending);
      this.#pump(this.#queue.length > 0 && this.#timer === null);
    });
    return sending;
  }

  async drain(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#queue.length > 0) {
      await this.#send(this.#queue.splice(0, this.#config.maxExportBatchSize));
    }
    await Promise.all(this.#inFlight);
    await this.#exporter.shutdown();
  }
}

class MetricPush {
  readonly #exporter: Exporter<ReturnType<typeof toResourceMetrics>>;
  #latest: { families: MetricFamily[]; timeMs: number } | null = null;
  #sending: Promise<void> = Promise.resolve();

  constructor(exporter: Exporter<ReturnType<typeof toResourceMetrics>>) {
    this.#exporter = exporter;
  }

  push(families: MetricFamily[], timeMs: number): void {
    this.#latest = { families, timeMs };
    this.#sending = this.#sending.then(() => this.#sendLatest());
  }

  #sendLatest(): Promise<void> {
    const latest = this.#latest;
    this.#latest = null;
    if (latest === null) return Promise.resolve();

    const payload = toResourceMetrics(latest.families, resource, settings.startMs, latest.timeMs);
    return new Promise((resolve) => {
      this.#exporter.export(payload, (result) => {
        if (result.code === ExportResultCode.SUCCESS) stats.metricExports++;
        else {
          stats.metricExportFailures++;
          stats.lastError = String(result.error?.message ?? 'metric export failed');
        }
        resolve();
      });
    });
  }

  async drain(): Promise<void> {
    await this.#sending;
    await this.#exporter.shutdown();
  }
}

/**
 * gRPC options for a target: its headers travel as call metadata. Loaded only when asked
 * for, since gRPC pulls in @grpc/grpc-js.
 */
async function grpcOptions(target: OtlpTarget) {
  const { Metadata } = await import('@grpc/grpc-js');
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(target.headers)) metadata.set(name, value);
  return { url: target.url, timeoutMillis: target.timeoutMs, metadata };
}

async function createSpanExporter(target: OtlpTarget): Promise<Exporter<ReadableSpan[]>> {
  if (target.protocol === 'grpc') {
    const grpc = await import('@opentelemetry/exporter-trace-otlp-grpc');
    return new grpc.OTLPTraceExporter(await grpcOptions(target));
  }
  return new OTLPTraceExporter({
    url: target.url,
    headers: target.headers,
    timeoutMillis: target.timeoutMs,
  });
}

async function createMetricExporter(
  target: OtlpTarget,
): Promise<Exporter<ReturnType<typeof toResourceMetrics>>> {
  if (target.protocol === 'grpc') {
    const grpc = await import('@opentelemetry/exporter-metrics-otlp-grpc');
    return new grpc.OTLPMetricExporter(await grpcOptions(target));
  }
  return new OTLPMetricExporter({
    url: target.url,
    headers: target.headers,
    timeoutMillis: target.timeoutMs,
  });
}

const spans =
  settings.traces === null
    ? null
    : new SpanQueue(await createSpanExporter(settings.traces), settings.traces);
const metrics =
  settings.metrics === null ? null : new MetricPush(await createMetricExporter(settings.metrics));

let lastSent = '';
const statsTimer = setInterval(() => {
  const text = JSON.stringify(stats);
  if (text === lastSent) return;
  lastSent = text;
  post({ type: 'stats', stats });
}, STATS_INTERVAL_MS);

port.on('message', (message: ToExporter) => {
  switch (message.type) {
    case 'spans':
      spans?.add(message);
      break;
    case 'metrics':
      metrics?.push(message.families, message.timeMs);
      break;
    case 'close':
      clearInterval(statsTimer);
      void Promise.all([spans?.drain(), metrics?.drain()]).then(
        () => post({ type: 'closed', stats }),
        (error: unknown) => {
          stats.lastError = String(error);
          post({ type: 'closed', stats });
        },
      );
      break;
  }
});

function post(message: FromExporter): void {
  port?.postMessage(message);
}
