import { parentPort, workerData } from 'node:worker_threads';

import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';

import type {
  ExporterSettings,
  ExportStats,
  FromExporter,
  ToExporter,
} from './exporter-protocol.js';
import { spansOfHits } from './http-spans.js';
import { SCOPE, toReadableSpan, toResourceMetrics } from './otlp-conversion.js';
import { OtlpHttpSender } from './otlp-http-sender.js';
import { OtlpSpanEncoder } from './otlp-span-encoder.js';
import type { MetricFamily } from './metric-family.js';
import type { AttributeValue, SpanRecord } from './span-record.js';
import type { OtlpTarget } from './telemetry-config.js';

/**
 * The telemetry export thread (node:worker_threads, not the piscina pool). The main thread
 * and the workers record finished spans as plain records; this thread builds the spans of
 * traced hits, encodes OTLP protobuf and sends it, so neither cost lands on the thread that
 * answers HTTP. It also exports the metric snapshots the main thread sends.
 */
interface Exporter<T> {
  export(items: T, done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** Where span batches go: resolves null when the collector took a batch, else why not. */
interface SpanSink {
  export(spans: SpanRecord[]): Promise<string | null>;
  shutdown(): Promise<void>;
}

/** Exports in flight at once; more batches wait in the queue (and past its size, drop). */
const MAX_CONCURRENT_EXPORTS = 2;
const STATS_INTERVAL_MS = 1000;

const settings = workerData as ExporterSettings;
const port = parentPort;
if (port === null) throw new Error('exporter-thread must run as a worker thread');

const resourceAttributes: Record<string, AttributeValue> = {
  'service.name': settings.serviceName,
  'telemetry.sdk.language': 'nodejs',
  'telemetry.sdk.name': 'eventflow',
  'process.pid': process.pid,
  ...settings.resourceAttributes,
};
const resource: Resource = resourceFromAttributes(resourceAttributes);

const stats: ExportStats = {
  spansExported: 0,
  spansDropped: 0,
  spansFailed: 0,
  metricExports: 0,
  metricExportFailures: 0,
  lastError: null,
};

class SpanQueue {
  readonly #sink: SpanSink;
  readonly #config: NonNullable<ExporterSettings['traces']>;
  #queue: SpanRecord[] = [];
  #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | null = null;

  constructor(sink: SpanSink, config: NonNullable<ExporterSettings['traces']>) {
    this.#sink = sink;
    this.#config = config;
  }

  add(message: ToExporter & { type: 'spans' }): void {
    const arrived = message.spans;
    spansOfHits(message.hits, arrived);
    const room = Math.max(0, this.#config.maxQueueSize - this.#queue.length);
    stats.spansDropped += Math.max(0, arrived.length - room);
    for (let i = 0; i < arrived.length && i < room; i++) this.#queue.push(arrived[i] as SpanRecord);
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

  #send(batch: SpanRecord[]): Promise<void> {
    const sending = this.#sink.export(batch).then(
      (error) => {
        if (error === null) {
          stats.spansExported += batch.length;
        } else {
          stats.spansFailed += batch.length;
          stats.lastError = error;
        }
      },
      (error: unknown) => {
        stats.spansFailed += batch.length;
        stats.lastError = `span export failed: ${String(error)}`;
      },
    );
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
    await this.#sink.shutdown();
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

/**
 * OTLP/HTTP: spans encoded here, straight from their records, and posted. OTLP/gRPC: the
 * OpenTelemetry exporter, given SDK spans.
 */
async function createSpanSink(target: OtlpTarget): Promise<SpanSink> {
  if (target.protocol === 'http/protobuf') {
    const encoder = new OtlpSpanEncoder(resourceAttributes, SCOPE.name);
    const sender = new OtlpHttpSender(target);
    return {
      async export(spans) {
        const body = encoder.encode(spans);
        const error = await sender.send(body);
        encoder.recycle(body);
        return error;
      },
      shutdown: () => Promise.resolve(sender.close()),
    };
  }

  const grpc = await import('@opentelemetry/exporter-trace-otlp-grpc');
  const exporter = new grpc.OTLPTraceExporter(await grpcOptions(target));
  return {
    export: (spans) =>
      new Promise((resolve) => {
        const readable = spans.map((span) => toReadableSpan(span, resource));
        exporter.export(readable, (result) => {
          const isExported = result.code === ExportResultCode.SUCCESS;
          resolve(isExported ? null : String(result.error?.message ?? 'span export failed'));
        });
      }),
    shutdown: () => exporter.shutdown(),
  };
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
    : new SpanQueue(await createSpanSink(settings.traces), settings.traces);
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
