import type { CacheStats } from '../cache/cache.js';
import type { DatabaseCounters } from './database-counters.js';
import type { ExportStats } from './exporter-protocol.js';
import type { MetricFamily, Sample } from './metric-family.js';

/**
 * Gauges and counters read when metrics are collected (a scrape or an OTLP export), from
 * state the components keep anyway: nothing here runs per request.
 */
export function cacheFamilies(stats: CacheStats): MetricFamily[] {
  const near = { level: 'near' };
  const families: MetricFamily[] = [
    counter('eventflow_cache_hits', 'Cache lookups that found the document.', [
      { labels: near, value: stats.hits },
    ]),
    counter('eventflow_cache_misses', 'Cache lookups that did not find the document.', [
      { labels: near, value: stats.misses },
    ]),
    gauge('eventflow_cache_hit_ratio', 'Hits / (hits + misses) since start.', [
      { labels: near, value: ratio(stats.hits, stats.misses) },
    ]),
    counter('eventflow_cache_fills', 'Documents stored after a miss.', [
      { labels: near, value: stats.fills },
    ]),
    counter(
      'eventflow_cache_dropped_fills',
      'Fills refused because the key was invalidated after the read began.',
      [{ labels: near, value: stats.droppedFills }],
    ),
    counter('eventflow_cache_invalidations', 'Keys invalidated by writes.', [
      { labels: near, value: stats.invalidations },
    ]),
    gauge('eventflow_cache_entries', 'Documents held by the in-process cache.', [
      { labels: near, value: stats.entries },
    ]),
    gauge(
      'eventflow_cache_bytes',
      'Bytes held by the in-process cache.',
      [{ labels: near, value: stats.bytes }],
      'By',
    ),
  ];

  const shared = stats.shared;
  if (shared === undefined) return families;

  const redis = { level: 'redis' };
  const add = (name: string, value: number): void => {
    const family = families.find((f) => f.name === name);
    if (family !== undefined && family.type !== 'histogram')
      family.samples.push({ labels: redis, value });
  };
  add('eventflow_cache_hits', shared.hits);
  add('eventflow_cache_misses', shared.misses);
  add('eventflow_cache_hit_ratio', ratio(shared.hits, shared.misses));
  add('eventflow_cache_fills', shared.fills);
  add('eventflow_cache_dropped_fills', shared.rejectedFills);
  add('eventflow_cache_invalidations', shared.invalidations);
  families.push(
    counter('eventflow_cache_errors', 'Redis commands that failed or timed out.', [
      { labels: redis, value: shared.errors },
    ]),
    counter(
      'eventflow_cache_skipped',
      'Reads and fills that skipped Redis (breaker open, not in sync).',
      [{ labels: redis, value: shared.skipped }],
    ),
    gauge(
      'eventflow_cache_breaker_state',
      'Circuit breaker in front of Redis: 1 for the current state.',
      (['closed', 'open', 'half-open'] as const).map((state) => ({
        labels: { level: 'redis', state },
        value: shared.breaker === state ? 1 : 0,
      })),
    ),
    gauge(
      'eventflow_cache_invalidation_channel_up',
      'Whether the invalidation channel is subscribed and proven by heartbeats.',
      [{ labels: redis, value: shared.isChannelUp ? 1 : 0 }],
    ),
  );
  return families;
}

export interface PoolState {
  utilization: number;
  queueSize: number;
  threadCount: number;
}

export function poolFamilies(pool: PoolState, inFlight: number): MetricFamily[] {
  return [
    gauge(
      'eventflow_pool_utilization',
      'Share of the worker pool busy since start (piscina utilization, 0-1).',
      [{ labels: {}, value: pool.utilization }],
    ),
    gauge('eventflow_pool_queue_depth', 'Tasks waiting for a worker thread.', [
      { labels: {}, value: pool.queueSize },
    ]),
    gauge('eventflow_pool_threads', 'Worker threads running.', [
      { labels: {}, value: pool.threadCount },
    ]),
    gauge('eventflow_http_requests_in_flight', 'Asynchronous requests not answered yet.', [
      { labels: {}, value: inFlight },
    ]),
  ];
}

export function databaseFamilies(
  counters: DatabaseCounters,
  maxConnections: number,
): MetricFamily[] {
  return [
    gauge(
      'eventflow_db_connections_in_use',
      'Database connections checked out, over all workers.',
      [{ labels: {}, value: counters.read('inUse') }],
    ),
    gauge(
      'eventflow_db_connections_max',
      'Most connections the pools may open, over all workers.',
      [{ labels: {}, value: maxConnections }],
    ),
    gauge('eventflow_db_connections_waiting', 'Queries or transactions waiting for a connection.', [
      { labels: {}, value: counters.read('waiting') },
    ]),
    counter('eventflow_db_connection_acquires', 'Connections checked out of the pools.', [
      { labels: {}, value: counters.read('acquiredTotal') },
    ]),
    counter(
      'eventflow_db_connection_wait_seconds',
      'Time spent waiting for a connection, summed.',
      [{ labels: {}, value: counters.read('acquireWaitMicros') / 1e6 }],
      's',
    ),
    counter('eventflow_db_queries', 'Statements executed.', [
      { labels: {}, value: counters.read('queriesTotal') },
    ]),
    counter('eventflow_db_query_errors', 'Statements that failed.', [
      { labels: {}, value: counters.read('queryErrorsTotal') },
    ]),
  ];
}

export function exportFamilies(stats: ExportStats): MetricFamily[] {
  return [
    counter('eventflow_trace_spans_exported', 'Spans accepted by the OTLP endpoint.', [
      { labels: {}, value: stats.spansExported },
    ]),
    counter('eventflow_trace_spans_dropped', 'Spans dropped: the export queue was full.', [
      { labels: {}, value: stats.spansDropped },
    ]),
    counter('eventflow_trace_spans_failed', 'Spans lost in failed exports.', [
      { labels: {}, value: stats.spansFailed },
    ]),
  ];
}

export function processFamilies(): MetricFamily[] {
  const memory = process.memoryUsage();
  return [
    gauge(
      'eventflow_process_resident_memory_bytes',
      'Resident set size.',
      [{ labels: {}, value: memory.rss }],
      'By',
    ),
    gauge(
      'eventflow_process_heap_used_bytes',
      'V8 heap in use (main thread).',
      [{ labels: {}, value: memory.heapUsed }],
      'By',
    ),
    gauge(
      'eventflow_event_loop_utilization',
      'Share of time the main thread was busy since start (0-1).',
      [{ labels: {}, value: performance.eventLoopUtilization().utilization }],
    ),
  ];
}

function counter(name: string, help: string, samples: Sample[], unit?: string): MetricFamily {
  return unit === undefined
    ? { type: 'counter', name, help, samples }
    : { type: 'counter', name, help, samples, unit };
}

function gauge(name: string, help: string, samples: Sample[], unit?: string): MetricFamily {
  return unit === undefined
    ? { type: 'gauge', name, help, samples }
    : { type: 'gauge', name, help, samples, unit };
}

function ratio(hits: number, misses: number): number {
  return hits + misses === 0 ? 0 : hits / (hits + misses);
}
