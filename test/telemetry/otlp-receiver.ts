import { createServer, type Server } from 'node:http';

import {
  type Metadata,
  Server as GrpcServer,
  ServerCredentials,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import protobuf from 'protobufjs';

/**
 * The OTLP messages the tests decode, transcribed from opentelemetry-proto (common, resource,
 * trace, metrics and their collector services). protobufjs does the wire format.
 */
const OTLP_PROTO = `
syntax = "proto3";
package otlp;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue { string key = 1; AnyValue value = 2; }
message InstrumentationScope {
  string name = 1; string version = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
}
message Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }

message ExportTraceServiceRequest { repeated ResourceSpans resource_spans = 1; }
message ResourceSpans { Resource resource = 1; repeated ScopeSpans scope_spans = 2; string schema_url = 3; }
message ScopeSpans { InstrumentationScope scope = 1; repeated Span spans = 2; string schema_url = 3; }
message Span {
  bytes trace_id = 1; bytes span_id = 2; string trace_state = 3; bytes parent_span_id = 4;
  fixed32 flags = 16; string name = 5; int32 kind = 6;
  fixed64 start_time_unix_nano = 7; fixed64 end_time_unix_nano = 8;
  repeated KeyValue attributes = 9; uint32 dropped_attributes_count = 10;
  message Event {
    fixed64 time_unix_nano = 1; string name = 2; repeated KeyValue attributes = 3; uint32 dropped_attributes_count = 4;
  }
  repeated Event events = 11; uint32 dropped_events_count = 12;
  uint32 dropped_links_count = 14;
  Status status = 15;
}
message Status { string message = 2; int32 code = 3; }

message ExportMetricsServiceRequest { repeated ResourceMetrics resource_metrics = 1; }
message ResourceMetrics { Resource resource = 1; repeated ScopeMetrics scope_metrics = 2; string schema_url = 3; }
message ScopeMetrics { InstrumentationScope scope = 1; repeated Metric metrics = 2; string schema_url = 3; }
message Metric {
  string name = 1; string description = 2; string unit = 3;
  oneof data { Gauge gauge = 5; Sum sum = 7; Histogram histogram = 9; }
}
message Gauge { repeated NumberDataPoint data_points = 1; }
message Sum { repeated NumberDataPoint data_points = 1; int32 aggregation_temporality = 2; bool is_monotonic = 3; }
message Histogram { repeated HistogramDataPoint data_points = 1; int32 aggregation_temporality = 2; }
message NumberDataPoint {
  repeated KeyValue attributes = 7; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  oneof value { double as_double = 4; sfixed64 as_int = 6; }
  uint32 flags = 8;
}
message HistogramDataPoint {
  repeated KeyValue attributes = 9; fixed64 start_time_unix_nano = 2; fixed64 time_unix_nano = 3;
  fixed64 count = 4; optional double sum = 5; repeated fixed64 bucket_counts = 6; repeated double explicit_bounds = 7;
  uint32 flags = 10; optional double min = 11; optional double max = 12;
}
`;

const root = protobuf.parse(OTLP_PROTO, { keepCase: true }).root;
const TraceRequest = root.lookupType('otlp.ExportTraceServiceRequest');

/** An OTLP/protobuf trace export body as a plain object (64-bit numbers and bytes as strings). */
export function decodeTraceRequest(body: Uint8Array): unknown {
  return TraceRequest.toObject(TraceRequest.decode(body), {
    longs: String,
    bytes: String,
    defaults: true,
  });
}
const MetricsRequest = root.lookupType('otlp.ExportMetricsServiceRequest');

export type AttributeValue = string | number | boolean | null;

/** OTLP span kinds as they arrive on the wire (the API's numbers plus one). */
export const KIND = { internal: 1, server: 2, client: 3 } as const;
export const STATUS_CODE = { unset: 0, ok: 1, error: 2 } as const;

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  kind: number;
  startNs: bigint;
  endNs: bigint;
  attributes: Record<string, AttributeValue>;
  status: { code: number; message: string };
  events: { name: string; attributes: Record<string, AttributeValue> }[];
  resource: Record<string, AttributeValue>;
  scope: string;
}

export interface ReceivedMetric {
  name: string;
  unit: string;
  kind: 'gauge' | 'sum' | 'histogram';
  points: { attributes: Record<string, AttributeValue>; value: number; count?: number }[];
}

/** One unary OTLP Export method; bodies stay bytes and are decoded like the HTTP ones. */
function exportMethod(service: string) {
  const bytes = (value: Buffer): Buffer => value;
  return {
    path: `/opentelemetry.proto.collector.${service}/Export`,
    requestStream: false,
    responseStream: false,
    requestSerialize: bytes,
    requestDeserialize: bytes,
    responseSerialize: bytes,
    responseDeserialize: bytes,
  };
}

/**
 * An OTLP collector inside the test process. Over HTTP (`listen`) it accepts POST /v1/traces
 * and /v1/metrics (application/x-protobuf); over gRPC (`listenGrpc`) the TraceService and
 * MetricsService Export calls. Either way it decodes and keeps what arrived.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly metricExports: ReceivedMetric[][] = [];
  readonly contentTypes: string[] = [];
  /** The call metadata of every gRPC export, as plain objects. */
  readonly grpcMetadata: Record<string, unknown>[] = [];
  readonly #server: Server;
  #grpc: GrpcServer | null = null;
  #port = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        this.contentTypes.push(req.headers['content-type'] ?? '');
        try {
          if (req.url === '/v1/traces') this.#acceptTraces(body);
          else if (req.url === '/v1/metrics') this.#acceptMetrics(body);
          else {
            res.writeHead(404).end();
            return;
          }
        } catch (error) {
          res.writeHead(400).end(String(error));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      });
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.listen(0, '127.0.0.1', () => {
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve();
      });
    });
  }

  /** Serves OTLP/gRPC instead of HTTP; `endpoint` then names the gRPC address. */
  listenGrpc(): Promise<void> {
    const server = new GrpcServer();
    const definition: ServiceDefinition = {
      Export: exportMethod('trace.v1.TraceService'),
    };
    const metricsDefinition: ServiceDefinition = {
      Export: exportMethod('metrics.v1.MetricsService'),
    };
    const handler = (accept: (body: Buffer) => void): UntypedServiceImplementation => ({
      Export: (
        call: { request: Buffer; metadata: Metadata },
        done: (error: Error | null, reply: Buffer) => void,
      ) => {
        this.grpcMetadata.push(call.metadata.getMap());
        accept(call.request);
        done(null, Buffer.alloc(0));
      },
    });
    server.addService(
      definition,
      handler((body) => this.#acceptTraces(body)),
    );
    server.addService(
      metricsDefinition,
      handler((body) => this.#acceptMetrics(body)),
    );
    this.#grpc = server;

    return new Promise((resolve, reject) => {
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, port) => {
        if (error !== null) reject(error);
        else {
          this.#port = port;
          resolve();
        }
      });
    });
  }

  close(): Promise<void> {
    this.#grpc?.forceShutdown();
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      if (!this.#server.listening) resolve();
      else this.#server.close(() => resolve());
    });
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((span) => span.traceId === traceId);
  }

  /** Waits until the spans of `traceId` satisfy `isComplete` (export is batched and async). */
  async waitForTrace(
    traceId: string,
    isComplete: (spans: ReceivedSpan[]) => boolean,
    timeoutMs = 5000,
  ): Promise<ReceivedSpan[]> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const spans = this.trace(traceId);
      if (isComplete(spans)) return spans;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(
      `trace ${traceId} incomplete after ${timeoutMs} ms: ${JSON.stringify(this.trace(traceId).map((s) => s.name))}`,
    );
  }

  #acceptTraces(body: Buffer): void {
    const request = TraceRequest.toObject(TraceRequest.decode(body), {
      longs: String,
      defaults: true,
    }) as any;
    for (const resourceSpans of request.resource_spans ?? []) {
      const resource = attributesOf(resourceSpans.resource?.attributes);
      for (const scopeSpans of resourceSpans.scope_spans ?? []) {
        for (const span of scopeSpans.spans ?? []) {
          this.spans.push({
            traceId: hex(span.trace_id),
            spanId: hex(span.span_id),
            parentSpanId: hex(span.parent_span_id),
            name: span.name,
            kind: span.kind,
            startNs: BigInt(span.start_time_unix_nano),
            endNs: BigInt(span.end_time_unix_nano),
            attributes: attributesOf(span.attributes),
            status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
            events: (span.events ?? []).map((event: any) => ({
              name: event.name,
              attributes: attributesOf(event.attributes),
            })),
            resource,
            scope: scopeSpans.scope?.name ?? '',
          });
        }
      }
    }
  }

  #acceptMetrics(body: Buffer): void {
    const request = MetricsRequest.toObject(MetricsRequest.decode(body), {
      longs: String,
      defaults: true,
      oneofs: true,
    }) as any;
    const metrics: ReceivedMetric[] = [];
    for (const resourceMetrics of request.resource_metrics ?? []) {
      for (const scopeMetrics of resourceMetrics.scope_metrics ?? []) {
        for (const metric of scopeMetrics.metrics ?? []) {
          const kind = metric.data as 'gauge' | 'sum' | 'histogram';
          const points = (metric[kind]?.data_points ?? []).map((point: any) => ({
            attributes: attributesOf(point.attributes),
            value:
              kind === 'histogram'
                ? Number(point.sum ?? 0)
                : Number(point.as_double ?? point.as_int ?? 0),
            ...(kind === 'histogram' ? { count: Number(point.count) } : {}),
          }));
          metrics.push({ name: metric.name, unit: metric.unit, kind, points });
        }
      }
    }
    this.metricExports.push(metrics);
  }
}

function hex(bytes: Uint8Array | undefined): string {
  return bytes === undefined ? '' : Buffer.from(bytes).toString('hex');
}

function attributesOf(list: any[] | undefined): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    if (value === undefined || value === null) result[key] = null;
    else if ('string_value' in value) result[key] = value.string_value;
    else if ('bool_value' in value) result[key] = value.bool_value;
    else if ('int_value' in value) result[key] = Number(value.int_value);
    else if ('double_value' in value) result[key] = value.double_value;
    else result[key] = null;
  }
  return result;
}
