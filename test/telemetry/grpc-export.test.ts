import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { startTestServer, type TestServer } from '../support/server.js';
import { OtlpReceiver } from './otlp-receiver.js';
import { createEvent, traceIdOf } from './telemetry-fixture.js';

const grpc = suite('OTLP export over gRPC');
const receiver = new OtlpReceiver();
let folder: string;
let server: TestServer;

grpc.before(async () => {
  await receiver.listenGrpc();
  folder = mkdtempSync(join(tmpdir(), 'eventflow-grpc-'));
  server = await startTestServer({
    databaseUrl: `sqlite:${join(folder, 'eventflow.db')}`,
    env: {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=grpc-key-4411',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    },
  });
});

grpc.after(async () => {
  await server.stop();
  await receiver.close();
  rmSync(folder, { recursive: true, force: true });
});

grpc(
  'delivers a miss trace with its database span, and metrics, with the configured metadata',
  async () => {
    const token = await server.login();
    const eventId = await createEvent(server, token);

    const miss = await server.request('GET', `/event/${eventId}`);
    assert.is(miss.headers.get('x-cache'), 'miss');
    const spans = await receiver.waitForTrace(traceIdOf(miss), (all) =>
      all.some((span) => span.attributes['db.system.name'] !== undefined),
    );

    const root = spans.find((span) => span.parentSpanId === '');
    assert.is(root?.attributes['http.route'], '/event/{id}');
    assert.ok(receiver.grpcMetadata.length > 0, 'exports arrived over gRPC');
    assert.ok(
      receiver.grpcMetadata.every((metadata) => metadata['x-collector-key'] === 'grpc-key-4411'),
      JSON.stringify(receiver.grpcMetadata[0]),
    );
    const deadline = Date.now() + 5000;
    while (receiver.metricExports.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const names = (receiver.metricExports.at(-1) ?? []).map((metric) => metric.name);
    assert.ok(names.includes('eventflow_http_requests'), names.join(', '));
  },
);

grpc.run();
