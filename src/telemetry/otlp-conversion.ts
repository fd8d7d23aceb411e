import { type HrTime, TraceFlags, ValueType } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  DataPointType,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

import type { MetricFamily } from './metric-family.js';
import type { SpanRecord } from './span-record.js';

export const SCOPE: InstrumentationScope = { name: 'eventflow' };

/** Epoch milliseconds (with a fraction) as OTel's [seconds, nanoseconds]. */
export function toHrTime(epochMs: number): HrTime {
  const seconds = Math.floor(epochMs / 1000);
  const nanos = Math.round((epochMs - seconds * 1000) * 1e6);
  return nanos >= 1e9 ? [seconds + 1, nanos - 1e9] : [seconds, nanos];
}

/** A recorded span as the SDK's ReadableSpan, which the OTLP serialisers take. */
export function toReadableSpan(record: SpanRecord, resource: Resource): ReadableSpan {
  const context = {
    traceId: record.traceId,
    spanId: record.spanId,
    traceFlags: TraceFlags.SAMPLED,
  };
  const startTime = toHrTime(record.startMs);
  const endTime = toHrTime(Math.max(record.endMs, record.startMs));
  const parentSpanContext =
    record.parentSpanId === null
      ? undefined
      : { traceId: record.traceId, spanId: record.parentSpanId, traceFlags: TraceFlags.SAMPLED };

  return {
    name: record.name,
    kind: record.kind,
    spanContext: () => context,
    parentSpanContext,
    startTime,
    endTime,
    duration: toHrTime(Math.max(0, record.endMs - record.startMs)),
    status:
      record.statusMessage === undefined
        ? { code: record.status }
        : { code: record.status, message: record.statusMessage },
    attributes: record.attributes,
    links: [],
    events: (record.events ?? []).map((event) => ({
      name: event.name,
      time: toHrTime(event.timeMs),
      attributes: event.attributes,
    })),
    ended: true,
    resource,
    instrumentationScope: SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}

/**
 * A metrics snapshot (cumulative since `startMs`) as the SDK's ResourceMetrics: counters
 * become monotonic sums, histograms explicit-bucket histograms, gauges gauges.
 */
export function toResourceMetrics(
  families: readonly MetricFamily[],
  resource: Resource,
  startMs: number,
  timeMs: number,
): ResourceMetrics {
  const startTime = toHrTime(startMs);
  const endTime = toHrTime(timeMs);
  const metrics: MetricData[] = families.map((family): MetricData => {
    const descriptor = {
      name: family.name,
      description: family.help,
      unit: family.unit ?? '',
      valueType: ValueType.DOUBLE,
    };
    const temporality = AggregationTemporality.CUMULATIVE;

    switch (family.type) {
      case 'counter':
        return {
          descriptor,
          aggregationTemporality: temporality,
          dataPointType: DataPointType.SUM,
          isMonotonic: true,
          dataPoints: family.samples.map((s) => ({
            startTime,
            endTime,
            attributes: s.labels,
            value: s.value,
          })),
        };
      case 'gauge':
        return {
          descriptor,
          aggregationTemporality: temporality,
          dataPointType: DataPointType.GAUGE,
          dataPoints: family.samples.map((s) => ({
            startTime,
            endTime,
            attributes: s.labels,
            value: s.value,
          })),
        };
      case 'histogram':
        return {
          descriptor,
          aggregationTemporality: temporality,
          dataPointType: DataPointType.HISTOGRAM,
          dataPoints: family.samples.map((s) => ({
            startTime,
            endTime,
            attributes: s.labels,
            value: {
              buckets: { boundaries: [...family.bounds], counts: s.counts },
              sum: s.sum,
              count: s.count,
            },
          })),
        };
    }
  });

  return { resource, scopeMetrics: [{ scope: SCOPE, metrics }] };
}
