import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import {
  createEvent,
  parsePrometheus,
  type Series,
  startTracedServer,
  type TracedServer,
  traceIdOf,
  valueOf,
} from './telemetry-fixture.js';

const metrics = suite('metrics and sampling');
let traced: TracedServer;
let eventId: number;

metrics.before(async () => {
  traced = await startTracedServer({
    EVENTFLOW_TRACE_HIT_RATIO: '0',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  eventId = await createEvent(traced.server, traced.token);
});

metrics.after(async () => {
  await traced.stop();
});

async function scrape(): Promise<Series[]> {
  const response = await traced.server.request('GET', '/metrics');
  assert.is(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parsePrometheus(response.text);
}

metrics('GET /metrics counts every request, sampled or not, and reads the gauges', async () => {
  const before = await scrape();
  const route = { method: 'GET', route: '/event/{id}', status: '200' };

  await traced.server.request('GET', `/event/${eventId}`);
  await traced.server.request('GET', `/event/${eventId}`);
  await traced.server.request('GET', `/event/${eventId}`);
  await traced.server.request('GET', '/event/987654');
  const after = await scrape();

  const delta = (name: string, labels: Record<string, string> = {}): number =>
    valueOf(after, name, labels) - valueOf(before, name, labels);
  assert.is(delta('eventflow_http_requests_total', route), 3);
  assert.is(delta('eventflow_http_requests_total', { ...route, status: '404' }), 1);
  assert.is(delta('eventflow_http_request_duration_seconds_count', route), 3);
  assert.is(delta('eventflow_http_request_duration_seconds_bucket', { ...route, le: '+Inf' }), 3);
  assert.ok(delta('eventflow_http_request_duration_seconds_sum', route) > 0);
  assert.is(delta('eventflow_http_cached_reads_total', { outcome: 'hit' }), 2);
  assert.is(delta('eventflow_http_cached_reads_total', { outcome: 'miss' }), 2);
  assert.is(delta('eventflow_cache_hits_total', { level: 'near' }), 2);
  assert.ok(delta('eventflow_db_queries_total') >= 2);
  assert.ok(delta('eventflow_db_connection_acquires_total') >= 2);
  assert.is(valueOf(after, 'eventflow_db_connections_in_use'), 0);
  assert.is(valueOf(after, 'eventflow_db_connections_max'), 2);
  assert.is(valueOf(after, 'eventflow_pool_threads'), 2);
  assert.is(valueOf(after, 'eventflow_pool_queue_depth'), 0);
  const ratio = valueOf(after, 'eventflow_cache_hit_ratio', { level: 'near' });
  assert.ok(ratio > 0 && ratio < 1, `hit ratio ${ratio}`);
  assert.ok(after.some((s) => s.name === 'eventflow_pool_utilization'));
  assert.ok(delta('eventflow_trace_spans_exported_total') >= 0);
});

metrics('with a hit ratio of 0, hits are counted but not traced; misses are traced', async () => {
  const miss = await traced.server.request('GET', '/event/987655');
  const hit = await traced.server.request('GET', `/event/${eventId}`);
  assert.is(hit.headers.get('x-cache'), 'hit');

  await traced.receiver.waitForTrace(traceIdOf(miss), (spans) => spans.length > 0);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.is(traced.receiver.trace(traceIdOf(hit)).length, 0);
});

metrics(
  'a sampled caller is honoured on a hit; an unsampled one only lends its trace id',
  async () => {
    const sampledId = '0af7651916cd43dd8448eb211c80319c';
    const sampled = await traced.server.request('GET', `/event/${eventId}`, {
      headers: { traceparent: `00-${sampledId}-b7ad6b7169203331-01` },
    });
    const unsampledId = '1af7651916cd43dd8448eb211c80319c';
    const unsampled = await traced.server.request('GET', `/event/${eventId}`, {
      headers: { traceparent: `00-${unsampledId}-b7ad6b7169203331-00` },
    });
    assert.is(traceIdOf(sampled), sampledId);
    assert.is(traceIdOf(unsampled), unsampledId);

    const spans = await traced.receiver.waitForTrace(sampledId, (all) => all.length >= 2);
    assert.ok(spans.some((s) => s.parentSpanId === 'b7ad6b7169203331'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.is(traced.receiver.trace(unsampledId).length, 0);
  },
);

metrics('a malformed traceparent is ignored: a new trace id is made', async () => {
  const response = await traced.server.request('GET', `/event/${eventId}`, {
    headers: { traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' },
  });
  assert.match(traceIdOf(response), /^[0-9a-f]{32}$/);
  assert.is.not(traceIdOf(response), '0'.repeat(32));
});

metrics('the same metrics are exported over OTLP', async () => {
  await traced.server.request('GET', `/event/${eventId}`);
  const deadline = Date.now() + 3000;
  let found = false;
  while (!found && Date.now() < deadline) {
    const latest = traced.receiver.metricExports.at(-1) ?? [];
    const requests = latest.find((m) => m.name === 'eventflow_http_requests');
    found =
      requests?.points.some((p) => p.attributes['route'] === '/event/{id}' && p.value >= 3) ??
      false;
    if (!found) await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(found, 'eventflow_http_requests exported');
  const latest = traced.receiver.metricExports.at(-1) ?? [];
  const latency = latest.find((m) => m.name === 'eventflow_http_request_duration_seconds');
  assert.is(latency?.kind, 'histogram');
  assert.is(latency?.unit, 's');
  assert.is(latest.find((m) => m.name === 'eventflow_pool_threads')?.kind, 'gauge');
  assert.ok(traced.receiver.contentTypes.every((type) => type === 'application/x-protobuf'));
});

metrics.run();
