/**
 * The hand-written OTLP span encoder against OpenTelemetry's own protobuf serializer: for
 * the same spans, both bodies must decode to the same ExportTraceServiceRequest.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { toReadableSpan } from '../../src/telemetry/otlp-conversion.js';
import { OtlpSpanEncoder } from '../../src/telemetry/otlp-span-encoder.js';
import {
  exceptionEvent,
  SPAN_KIND,
  STATUS,
  type AttributeValue,
  type SpanRecord,
} from '../../src/telemetry/span-record.js';
import { decodeTraceRequest } from './otlp-receiver.js';

const RESOURCE: Record<string, AttributeValue> = {
  'service.name': 'eventflow',
  'service.version': '1.0.0',
  'host.cpus': 2,
};

function span(overrides: Partial<SpanRecord>): SpanRecord {
  return {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    parentSpanId: null,
    name: 'GET /event/{id}',
    kind: SPAN_KIND.server,
    startMs: 1_796_000_000_123.456,
    endMs: 1_796_000_000_124.789,
    status: STATUS.unset,
    attributes: {},
    ...overrides,
  };
}

/** Spans covering what the recorder produces: kinds, parents, every attribute type, events. */
const SPANS: SpanRecord[] = [
  span({
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/event/{id}',
      'http.response.status_code': 200,
      'server.port': 8079,
      'eventflow.cache': 'hit',
    },
  }),
  span({
    spanId: 'a1b2c3d4e5f60718',
    parentSpanId: '00f067aa0ba902b7',
    name: 'cache.get',
    kind: SPAN_KIND.internal,
    attributes: { 'cache.level': 'near', 'cache.hit': true, 'cache.coalesced': false },
  }),
  span({
    spanId: 'ffffffffffffffff',
    parentSpanId: 'a1b2c3d4e5f60718',
    name: 'select events',
    kind: SPAN_KIND.client,
    startMs: 1_796_000_000_000,
    endMs: 1_796_000_000_000,
    status: STATUS.error,
    statusMessage: 'connection lost — réessayer',
    attributes: {
      'db.system.name': 'postgresql',
      'db.query.text': 'select "id" from "events" where "id" = $1',
      'pool.queue_wait_ms': 0.125,
      'db.response.returned_rows': -1,
      'large.count': 2 ** 40,
      'text.empty': '',
    },
    events: [
      exceptionEvent(new TypeError('boom'), 1_796_000_000_000.5),
      { name: 'retry', timeMs: 1_796_000_000_000.75, attributes: { attempt: 2 } },
    ],
  }),
  span({ traceId: '0af7651916cd43dd8448eb211c80319c', status: STATUS.ok }),
];

const test = suite('OtlpSpanEncoder');

test('encodes spans exactly as the OpenTelemetry serializer does', () => {
  const ours = new OtlpSpanEncoder(RESOURCE, 'eventflow').encode(SPANS);
  const resource = resourceFromAttributes(RESOURCE);
  const theirs = ProtobufTraceSerializer.serializeRequest(
    SPANS.map((record) => toReadableSpan(record, resource)),
  );

  assert.ok(theirs !== undefined, 'the SDK serialised the spans');
  assert.equal(decodeTraceRequest(ours), decodeTraceRequest(theirs));
});

test('reuses its buffer without letting one body leak into the next', () => {
  const encoder = new OtlpSpanEncoder(RESOURCE, 'eventflow');
  const first = Buffer.from(encoder.encode(SPANS));
  const body = encoder.encode(SPANS);
  encoder.recycle(body);
  const single = encoder.encode([SPANS[1] as SpanRecord]);

  assert.ok(first.equals(encoder.encode(SPANS)), 'the same spans give the same bytes');
  const decoded = decodeTraceRequest(single) as {
    resource_spans: { scope_spans: { spans: unknown[] }[] }[];
  };
  assert.is(decoded.resource_spans[0]?.scope_spans[0]?.spans.length, 1);
});

test.run();
