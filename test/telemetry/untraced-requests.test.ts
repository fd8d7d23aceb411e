import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { OtlpReceiver } from './otlp-receiver.js';
import {
  type LoggedResponse,
  type LoggedServer,
  scrapeMetrics,
  startLoggedServer,
  valueOf,
} from './telemetry-fixture.js';

const TRACE_ID = /^[0-9a-f]{32}$/;

/** Registers a user, logs in and creates an organizer; returns its id and the token. */
async function createOrganizer(server: LoggedServer): Promise<{ id: number; token: string }> {
  const email = `untraced-${process.pid}-${Date.now()}-${Math.random()}@example.test`;
  const password = 'correct horse battery staple';
  const registered = await server.request('POST', '/authentication/register', {
    username: 'untraced user',
    email,
    password,
  });
  assert.is(registered.status, 201, registered.text);
  const login = await server.request('POST', '/authentication/login', { email, password });
  assert.is(login.status, 200, login.text);
  const { token } = JSON.parse(login.text) as { token: string };

  const organizer = await server.request(
    'POST',
    '/organizer',
    { name: 'Untraced Org', email: `org-${Date.now()}@example.test` },
    token,
  );
  assert.is(organizer.status, 201, organizer.text);
  return { id: (JSON.parse(organizer.text) as { id: number }).id, token };
}

const untraced = suite('untraced requests');
const receiver = new OtlpReceiver();
let sampled: LoggedServer;

untraced.before(async () => {
  await receiver.listen();
  sampled = await startLoggedServer({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '20',
    EVENTFLOW_TRACE_HIT_RATIO: '0',
  });
});

untraced.after(async () => {
  await sampled.stop();
  await receiver.close();
});

untraced(
  'an untraced cache hit writes no completion line and no span, yet /metrics counts it',
  async () => {
    const { id } = await createOrganizer(sampled);
    const baseUrl = `http://127.0.0.1:${sampled.api.port}`;
    const miss = await sampled.request('GET', `/organizer/${id}`);
    assert.is(miss.headers.get('x-cache'), 'miss');
    assert.is(sampled.log.completions(miss.traceId).length, 1, 'a traced miss writes its line');

    const before = await scrapeMetrics(baseUrl);
    const hit = await sampled.request('GET', `/organizer/${id}`);
    assert.is(hit.status, 200);
    assert.is(hit.headers.get('x-cache'), 'hit');
    assert.match(hit.traceId, TRACE_ID);
    const after = await scrapeMetrics(baseUrl);

    // A later traced request: once its line and spans are in, anything of the hit would be too.
    const marker = await sampled.request('GET', '/organizer/987654');
    assert.is(marker.status, 404);
    await receiver.waitForTrace(marker.traceId, (spans) => spans.some((s) => s.kind === 2));
    assert.is(sampled.log.completions(marker.traceId).length, 1);

    assert.is(sampled.log.completions(hit.traceId).length, 0, 'no completion line for the hit');
    assert.not.ok(sampled.log.lines.some((line) => line.trace_id === hit.traceId));
    assert.is(receiver.trace(hit.traceId).length, 0, 'no span for the hit');

    const route = { method: 'GET', route: '/organizer/{id}', status: '200' };
    const delta = (name: string, labels: Record<string, string>): number =>
      valueOf(after, name, labels) - valueOf(before, name, labels);
    assert.is(delta('eventflow_http_requests_total', route), 1);
    assert.is(delta('eventflow_http_request_duration_seconds_count', route), 1);
    assert.is(delta('eventflow_http_cached_reads_total', { outcome: 'hit' }), 1);
    assert.is(delta('eventflow_cache_hits_total', { level: 'near' }), 1);
  },
);

untraced.run();

const endpointless = suite('tracing without a trace endpoint');
const metricsOnly = new OtlpReceiver();
let bare: LoggedServer;
let metricsServer: LoggedServer;

endpointless.before(async () => {
  await metricsOnly.listen();
  // Hits are sampled at 1 so that every request below would be traced if spans were built.
  bare = await startLoggedServer({ EVENTFLOW_TRACE_HIT_RATIO: '1' });
  metricsServer = await startLoggedServer({
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: `${metricsOnly.endpoint}/v1/metrics`,
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_METRIC_EXPORT_INTERVAL: '100',
    OTEL_BSP_SCHEDULE_DELAY: '20',
    EVENTFLOW_TRACE_HIT_RATIO: '1',
  });
});

endpointless.after(async () => {
  await bare.stop();
  await metricsServer.stop();
  await metricsOnly.close();
});

/** A miss, a hit, a write and a 404 problem: every outcome that is traced when tracing is on. */
async function everyOutcome(server: LoggedServer): Promise<LoggedResponse[]> {
  const { id, token } = await createOrganizer(server);
  const miss = await server.request('GET', `/organizer/${id}`);
  const hit = await server.request('GET', `/organizer/${id}`);
  const write = await server.request(
    'PUT',
    `/organizer/update/${id}`,
    { name: 'Renamed Org', email: `renamed-${Date.now()}@example.test` },
    token,
  );
  const missing = await server.request('GET', '/organizer/987654');
  assert.is(miss.headers.get('x-cache'), 'miss');
  assert.is(hit.headers.get('x-cache'), 'hit');
  assert.is(write.status, 200, write.text);
  assert.is(missing.status, 404);
  assert.is((JSON.parse(missing.text) as { traceId: string }).traceId, missing.traceId);
  return [miss, hit, write, missing];
}

endpointless(
  'with no endpoint, no span is built, yet every response and line has a trace id',
  async () => {
    const responses = await everyOutcome(bare);

    for (const response of responses) {
      assert.match(response.traceId, TRACE_ID);
      assert.is.not(response.traceId, '0'.repeat(32));
      const [line, ...others] = bare.log.completions(response.traceId);
      assert.ok(line !== undefined, `completion line of ${response.traceId}`);
      assert.is(others.length, 0);
      // span_id names the server span; without one built, the line has none.
      assert.not.ok('span_id' in line, JSON.stringify(line));
    }
    assert.is(new Set(responses.map((r) => r.traceId)).size, responses.length, 'distinct ids');

    // The export thread never started: /metrics has no span-exporter families.
    const metrics = await scrapeMetrics(`http://127.0.0.1:${bare.api.port}`);
    assert.ok(metrics.some((s) => s.name === 'eventflow_http_requests_total'));
    assert.not.ok(metrics.some((s) => s.name.startsWith('eventflow_trace_spans')));
  },
);

endpointless(
  'with only a metrics endpoint, the receiver gets metrics and not one span',
  async () => {
    const responses = await everyOutcome(metricsServer);

    // Wait for a metric export that already counts all four requests: any span recorded for
    // them would have been handed to the same export thread before it.
    const deadline = Date.now() + 5000;
    const counted = (): number => {
      const latest = metricsOnly.metricExports.at(-1) ?? [];
      const requests = latest.find((m) => m.name === 'eventflow_http_requests');
      return (requests?.points ?? [])
        .filter((p) => String(p.attributes['route']).startsWith('/organizer'))
        .reduce((sum, p) => sum + p.value, 0);
    };
    while (counted() < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(counted() >= 5, `exported request count ${counted()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));

    assert.is(metricsOnly.spans.length, 0, 'no span exported');
    for (const response of responses) {
      assert.match(response.traceId, TRACE_ID);
      const [line] = metricsServer.log.completions(response.traceId);
      assert.ok(line !== undefined && !('span_id' in line), JSON.stringify(line));
    }
  },
);

endpointless.run();
