import type { Logger } from 'pino';

import type { ExporterClient } from './exporter-client.js';
import { HitSampler } from './hit-sampler.js';
import { type HttpMetrics, type RouteKey, UNMATCHED_ROUTE as UNMATCHED } from './http-metrics.js';
import { type CacheOutcome, nearCacheSpan, serverSpan } from './http-spans.js';
import {
  type AttributeValue,
  epochMs,
  SPAN_KIND,
  type SpanKindCode,
  type SpanRecord,
  STATUS,
  type StatusCode,
} from './span-record.js';
import type { SamplingConfig } from './telemetry-config.js';
import { newSpanId, type TraceParent } from './trace-context.js';

/** Status recorded for a request whose client went away before the answer (as nginx does). */
export const CLIENT_CLOSED = 499;

/**
 * One asynchronous request as telemetry sees it: who it is (route, trace), when it started
 * and ended, and the spans recorded for it so far. Spans are kept here until the request
 * completes, because only then is it known whether it is traced (an L2 hit may turn out slow
 * or failed); requests that go to the pool are always traced.
 */
export class RequestObservation {
  readonly route: RouteKey | null;
  readonly method: string;
  readonly path: string;
  readonly startedAt: number;
  readonly traceId: string;
  readonly parent: TraceParent | null;
  /** The server span's id; null when spans are not recorded (no exporter). */
  readonly spanId: string | null;
  /** Child spans (main thread and worker); null when spans are not recorded. */
  readonly spans: SpanRecord[] | null;
  status = 0;
  endedAt = 0;
  cache: CacheOutcome = null;

  constructor(
    route: RouteKey | null,
    method: string,
    path: string,
    startedAt: number,
    traceId: string,
    parent: TraceParent | null,
    isRecording: boolean,
  ) {
    this.route = route;
    this.method = method;
    this.path = path;
    this.startedAt = startedAt;
    this.traceId = traceId;
    this.parent = parent;
    this.spanId = isRecording ? newSpanId() : null;
    this.spans = isRecording ? [] : null;
  }

  /** Log fields that tie a line to this request's trace. */
  get logFields(): { trace_id: string; span_id?: string } {
    return this.spanId === null
      ? { trace_id: this.traceId }
      : { trace_id: this.traceId, span_id: this.spanId };
  }

  /** Records a child of the server span (times are performance.now() readings). */
  addSpan(
    name: string,
    kind: SpanKindCode,
    startedAt: number,
    endedAt: number,
    attributes: Record<string, AttributeValue>,
    spanId: string = newSpanId(),
    status: StatusCode = STATUS.unset,
  ): void {
    if (this.spans === null || this.spanId === null) return;
    this.spans.push({
      traceId: this.traceId,
      spanId,
      parentSpanId: this.spanId,
      name,
      kind,
      startMs: epochMs(startedAt),
      endMs: epochMs(endedAt),
      status,
      attributes,
    });
  }
}

export interface RequestTelemetryOptions {
  metrics: HttpMetrics;
  /** Null when no trace endpoint is configured: then no span or span id is ever made. */
  exporter: ExporterClient | null;
  sampling: SamplingConfig;
  log: Logger;
}

/**
 * Request metrics, sampling, spans and access lines for the HTTP front end. Every request is
 * counted; the sampling decision (misses, writes, errors and slow requests always; cache
 * hits at a ratio; sampled incoming parents always) chooses which ones get spans and a
 * `request completed` line. An untraced near-cache hit costs two clock reads, a few array
 * increments and one random number.
 */
export class RequestTelemetry {
  readonly #metrics: HttpMetrics;
  readonly #exporter: ExporterClient | null;
  /** Writes the access lines only; see the constructor. */
  readonly #accessLog: Logger;
  readonly #hits: HitSampler;
  readonly #slowMs: number;
  readonly #isLogging: boolean;
  /** Whether sampled requests produce anything (spans or access lines). */
  readonly #isSampling: boolean;
  #port = 0;

  constructor(options: RequestTelemetryOptions) {
    this.#metrics = options.metrics;
    this.#exporter = options.exporter;
    // The access line's fields are fixed (ids, method, route, path, status, duration, cache)
    // and no key among them is a secret's, so redaction (by key) cannot change it, while
    // pino's redaction with the wildcard paths logger.ts needs costs about 30 µs a line
    // against 2 µs without (pino 10, measured on the bench machine). So this one line is
    // written through a child that does not redact; every other line still is.
    this.#accessLog = options.log.child({}, { redact: [] });
    this.#hits = new HitSampler(options.sampling);
    this.#slowMs = options.sampling.slowMs;
    this.#isLogging = options.log.isLevelEnabled('info');
    this.#isSampling = this.#isLogging || this.#exporter !== null;
  }

  /** True when spans are recorded (a trace endpoint is configured). */
  get isRecording(): boolean {
    return this.#exporter !== null;
  }

  set port(port: number) {
    this.#port = port;
  }

  /**
   * A near-cache hit answered synchronously. `peekAt`/`peekedAt` bracket the cache lookup
   * and are only read when spans are recorded.
   */
  hit(
    route: RouteKey,
    method: string,
    path: string,
    status: number,
    startedAt: number,
    peekAt: number,
    peekedAt: number,
    traceId: string,
    parent: TraceParent | null,
  ): void {
    const endedAt = performance.now();
    this.#metrics.observe(this.#metrics.indexOf(route), status, endedAt - startedAt);
    this.#metrics.countCacheOutcome(true);
    if (!this.#isSampling || !this.#isTraced(true, status, endedAt - startedAt, parent, endedAt)) {
      return;
    }

    // Traced: the spans get their true times, read before anything was known. They cross to
    // the export thread as plain values and are built there (HitRecords).
    let spanId: string | null = null;
    if (this.#exporter !== null) {
      spanId = newSpanId();
      this.#exporter.recordHit(
        traceId,
        spanId,
        parent?.spanId ?? '',
        method,
        path,
        route.path,
        status,
        this.#port,
        epochMs(startedAt),
        epochMs(endedAt),
        epochMs(peekAt),
        epochMs(peekedAt),
      );
    }
    this.#accessLine(method, route, path, status, endedAt - startedAt, 'hit', traceId, spanId);
  }

  /** Any other synchronous answer: health, documents, metrics, routing and parsing errors. */
  answer(
    route: RouteKey | null,
    method: string,
    path: string,
    status: number,
    startedAt: number,
    traceId: string,
    parent: TraceParent | null,
  ): void {
    const endedAt = performance.now();
    const routeIndex = this.#metrics.indexOf(route ?? UNMATCHED);
    this.#metrics.observe(routeIndex, status, endedAt - startedAt);
    if (!this.#isSampling || !this.#isTraced(true, status, endedAt - startedAt, parent, endedAt)) {
      return;
    }

    const spanId = this.#exporter === null ? null : newSpanId();
    if (spanId !== null) {
      this.#record(traceId, spanId, parent, method, path, route, status, startedAt, endedAt, null);
    }
    this.#accessLine(method, route, path, status, endedAt - startedAt, null, traceId, spanId);
  }

  /** An asynchronous request (body, authentication, cache read-through or pool task) starts. */
  begin(
    route: RouteKey,
    method: string,
    path: string,
    startedAt: number,
    traceId: string,
    parent: TraceParent | null,
  ): RequestObservation {
    return new RequestObservation(
      route,
      method,
      path,
      startedAt,
      traceId,
      parent,
      this.#exporter !== null,
    );
  }

  /** The near cache did not have the document (the lookup already happened). */
  nearMiss(observation: RequestObservation, peekAt: number, peekedAt: number): void {
    if (observation.spanId === null) return;
    observation.spans?.push(
      nearCacheSpan(
        observation.traceId,
        observation.spanId,
        epochMs(peekAt),
        epochMs(peekedAt),
        false,
      ),
    );
  }

  /**
   * A cache-aside read finished. `loadAt` is when its own load started (0: it did not
   * load); `hasSharedLevel` says whether a Redis level was consulted before the load.
   */
  readThrough(
    observation: RequestObservation,
    outcome: 'hit' | 'miss',
    lookupAt: number,
    loadAt: number,
    readAt: number,
    hasSharedLevel: boolean,
  ): void {
    observation.cache = outcome;
    this.#metrics.countCacheOutcome(outcome === 'hit');
    if (observation.spanId === null || !hasSharedLevel) return;

    const isCoalesced = outcome === 'miss' && loadAt === 0;
    const attributes: Record<string, AttributeValue> = {
      'cache.level': 'redis',
      'cache.hit': outcome === 'hit',
    };
    if (isCoalesced) attributes['cache.coalesced'] = true;
    observation.addSpan(
      'cache.get',
      SPAN_KIND.client,
      lookupAt,
      loadAt === 0 ? readAt : loadAt,
      attributes,
    );
  }

  /** The request is over: count it, and if traced record its spans and access line. */
  complete(observation: RequestObservation): void {
    const endedAt = observation.endedAt === 0 ? performance.now() : observation.endedAt;
    const status = observation.status === 0 ? CLIENT_CLOSED : observation.status;
    const durationMs = endedAt - observation.startedAt;
    this.#metrics.observe(
      this.#metrics.indexOf(observation.route ?? UNMATCHED),
      status,
      durationMs,
    );

    const isHit = observation.cache === 'hit';
    if (
      !this.#isSampling ||
      !this.#isTraced(isHit, status, durationMs, observation.parent, endedAt)
    ) {
      return;
    }

    const { traceId, spanId, parent, method, path, route } = observation;
    if (spanId !== null) {
      this.#record(
        traceId,
        spanId,
        parent,
        method,
        path,
        route,
        status,
        observation.startedAt,
        endedAt,
        observation.cache,
      );
      for (const span of observation.spans ?? []) this.#exporter?.record(span);
    }
    this.#accessLine(method, route, path, status, durationMs, observation.cache, traceId, spanId);
  }

  /** Spans a worker recorded for this request (they arrive with its task response). */
  adopt(observation: RequestObservation, spans: readonly SpanRecord[] | undefined): void {
    if (spans === undefined || observation.spans === null) return;
    for (const span of spans) observation.spans.push(span);
  }

  #isTraced(
    isCacheable: boolean,
    status: number,
    durationMs: number,
    parent: TraceParent | null,
    now: number,
  ): boolean {
    if (!isCacheable || status >= 400 || durationMs > this.#slowMs) return true;
    if (parent?.isSampled === true) return true;
    return this.#hits.shouldTrace(now);
  }

  #record(
    traceId: string,
    spanId: string,
    parent: TraceParent | null,
    method: string,
    path: string,
    route: RouteKey | null,
    status: number,
    startedAt: number,
    endedAt: number,
    cache: CacheOutcome,
  ): void {
    this.#exporter?.record(
      serverSpan(
        traceId,
        spanId,
        parent?.spanId ?? null,
        method,
        path,
        route?.path ?? null,
        status,
        this.#port,
        cache,
        epochMs(startedAt),
        epochMs(endedAt),
      ),
    );
  }

  #accessLine(
    method: string,
    route: RouteKey | null,
    path: string,
    status: number,
    durationMs: number,
    cache: CacheOutcome,
    traceId: string,
    spanId: string | null,
  ): void {
    if (!this.#isLogging) return;

    // pino leaves out undefined fields: an untraced line has no span_id.
    const fields = {
      trace_id: traceId,
      span_id: spanId ?? undefined,
      method,
      route: route?.path ?? null,
      path,
      status,
      durationMs: Math.round(durationMs * 1000) / 1000,
      cache,
    };
    if (status >= 500) this.#accessLog.error(fields, 'request completed');
    else this.#accessLog.info(fields, 'request completed');
  }
}
