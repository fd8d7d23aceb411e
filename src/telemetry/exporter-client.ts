import { Worker } from 'node:worker_threads';

import type {
  ExporterSettings,
  ExportStats,
  FromExporter,
  HitRecords,
  ToExporter,
} from './exporter-protocol.js';
import type { MetricFamily } from './metric-family.js';
import type { SpanRecord } from './span-record.js';

/** Spans are handed to the export thread every HANDOFF_MS or HANDOFF_SPANS, whichever first. */
const HANDOFF_MS = 200;
const HANDOFF_SPANS = 256;

const EMPTY_STATS: ExportStats = {
  spansExported: 0,
  spansDropped: 0,
  spansFailed: 0,
  metricExports: 0,
  metricExportFailures: 0,
  lastError: null,
};

/**
 * The main thread's side of the export thread. Recording a span is an array push; batches
 * cross to the thread by postMessage (one structured clone per batch, not per span), and
 * the thread does the protobuf and HTTP. Spans the workers record arrive here inside their
 * task responses and join the same batches; traced near-cache hits travel as plain values.
 */
export class ExporterClient {
  readonly #worker: Worker;
  #buffer: SpanRecord[] = [];
  #hits: HitRecords = [];
  /** Spans held here, a hit counting as its two. */
  #held = 0;
  #timer: NodeJS.Timeout | null = null;
  #stats: ExportStats = EMPTY_STATS;
  #closing: Promise<void> | null = null;
  #onStats: (stats: ExportStats) => void;

  constructor(settings: ExporterSettings, onStats: (stats: ExportStats) => void = () => {}) {
    this.#onStats = onStats;
    this.#worker = new Worker(new URL('./exporter-thread.js', import.meta.url), {
      workerData: settings,
      name: 'eventflow-telemetry',
    });
    // The thread must never keep the process alive, nor take it down.
    this.#worker.unref();
    this.#worker.on('message', (message: FromExporter) => {
      this.#stats = message.stats;
      this.#onStats(message.stats);
    });
    this.#worker.on('error', (error) => {
      this.#stats = { ...this.#stats, lastError: `export thread failed: ${error.message}` };
      this.#onStats(this.#stats);
    });
  }

  get stats(): ExportStats {
    return this.#stats;
  }

  record(span: SpanRecord): void {
    if (this.#closing !== null) return;

    this.#buffer.push(span);
    this.#held++;
    this.#scheduleHandOff();
  }

  /**
   * A traced near-cache hit: its server span and near-cache span, as the values the export
   * thread builds them from (HitRecords; times in epoch ms, `parentSpanId` '' for none).
   */
  recordHit(
    traceId: string,
    spanId: string,
    parentSpanId: string,
    method: string,
    path: string,
    route: string,
    status: number,
    port: number,
    startMs: number,
    endMs: number,
    lookupStartMs: number,
    lookupEndMs: number,
  ): void {
    if (this.#closing !== null) return;

    this.#hits.push(
      traceId,
      spanId,
      parentSpanId,
      method,
      path,
      route,
      status,
      port,
      startMs,
      endMs,
      lookupStartMs,
      lookupEndMs,
    );
    this.#held += 2;
    this.#scheduleHandOff();
  }

  sendMetrics(families: MetricFamily[], timeMs: number): void {
    if (this.#closing !== null) return;
    this.#post({ type: 'metrics', families, timeMs });
  }

  /** Hands over what is buffered, lets the thread export everything, then stops it. */
  close(timeoutMs = 5000): Promise<void> {
    this.#closing ??= (async () => {
      this.#handOff();
      const closed = new Promise<void>((resolve) => {
        this.#worker.on('message', (message: FromExporter) => {
          if (message.type === 'closed') resolve();
        });
        this.#worker.once('exit', () => resolve());
      });
      this.#worker.ref();
      this.#post({ type: 'close' });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      await Promise.race([closed, timeout]);
      clearTimeout(timer);
      await this.#worker.terminate();
    })();
    return this.#closing;
  }

  #scheduleHandOff(): void {
    if (this.#held >= HANDOFF_SPANS) this.#handOff();
    else this.#timer ??= setTimeout(() => this.#handOff(), HANDOFF_MS).unref();
  }

  #handOff(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#held === 0) return;

    const message: ToExporter = { type: 'spans', spans: this.#buffer, hits: this.#hits };
    this.#buffer = [];
    this.#hits = [];
    this.#held = 0;
    this.#post(message);
  }

  #post(message: ToExporter): void {
    this.#worker.postMessage(message);
  }
}
