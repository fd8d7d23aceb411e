/** Where and how one signal (traces or metrics) is exported over OTLP. */
export interface OtlpTarget {
  /** Full URL: `.../v1/traces` or `.../v1/metrics` for HTTP, `http://host:4317` for gRPC. */
  url: string;
  protocol: 'http/protobuf' | 'grpc';
  /** Extra request headers (OTEL_EXPORTER_OTLP_HEADERS), e.g. an API key. */
  headers: Record<string, string>;
  /** Longest one export may take (OTEL_EXPORTER_OTLP_TIMEOUT, 10 s). */
  timeoutMs: number;
}

export interface SamplingConfig {
  /**
   * Share of cache hits traced (EVENTFLOW_TRACE_HIT_RATIO, else OTEL_TRACES_SAMPLER_ARG of a
   * `*traceidratio` sampler; 0.1). Misses, writes, errors and slow requests are always traced.
   */
  hitRatio: number;
  /** Hits traced per second whatever the ratio, so a quiet service still shows some (1). */
  hitFloorPerSecond: number;
  /** A request slower than this is traced whatever its outcome (EVENTFLOW_TRACE_SLOW_MS, 250). */
  slowMs: number;
}

export interface TelemetryConfig {
  /** OTEL_SERVICE_NAME (`eventflow`). */
  serviceName: string;
  /** OTEL_RESOURCE_ATTRIBUTES (`key=value,...`), added to every exported span and metric. */
  resourceAttributes: Record<string, string>;
  /** Span export; null when no endpoint is set (then no span is ever built). */
  traces: (OtlpTarget & SpanBatchConfig) | null;
  /** OTLP metric export; null when no endpoint is set (GET /metrics works regardless). */
  metrics: (OtlpTarget & { intervalMs: number }) | null;
  sampling: SamplingConfig;
}

export interface SpanBatchConfig {
  /** Longest a span waits in the export thread before it is sent (OTEL_BSP_SCHEDULE_DELAY, 1 s). */
  scheduleDelayMs: number;
  /** Spans the export thread holds before it drops new ones (OTEL_BSP_MAX_QUEUE_SIZE, 8192). */
  maxQueueSize: number;
  /** Spans per OTLP request (OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 512). */
  maxExportBatchSize: number;
}

type Env = Record<string, string | undefined>;

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/**
 * Reads the telemetry part of the configuration from `env` (config.ts passes its own), adding
 * one message per bad variable to `problems`.
 */
export function readTelemetryConfig(env: Env, problems: string[]): TelemetryConfig {
  const read = new TelemetryEnv(env, problems);
  const isDisabled = read.boolean('OTEL_SDK_DISABLED', false);

  const protocol = read.protocol('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf');
  const general = read.string('OTEL_EXPORTER_OTLP_ENDPOINT');
  const headers = read.headers('OTEL_EXPORTER_OTLP_HEADERS');
  const timeoutMs = read.integer('OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, 1, 600_000);

  const target = (signal: 'TRACES' | 'METRICS', path: string): OtlpTarget | null => {
    const exporter = read.string(`OTEL_${signal}_EXPORTER`)?.toLowerCase() ?? 'otlp';
    const wanted = exporter.split(',').map((name) => name.trim());
    if (isDisabled || !wanted.includes('otlp')) return null;

    const signalProtocol = read.protocol(`OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`, protocol);
    const specific = read.string(`OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`);
    const base = specific ?? general;
    if (base === null) return null;
    if (!/^https?:\/\/[^/]/i.test(base)) {
      problems.push(
        `OTEL_EXPORTER_OTLP_${specific === null ? '' : `${signal}_`}ENDPOINT must be an http:// or https:// URL`,
      );
      return null;
    }

    // The general endpoint gets the signal's path (OTLP spec); a signal endpoint is used as is.
    const url =
      specific !== null || signalProtocol === 'grpc' ? base : `${base.replace(/\/+$/, '')}/${path}`;
    return {
      url,
      protocol: signalProtocol,
      headers: { ...headers, ...read.headers(`OTEL_EXPORTER_OTLP_${signal}_HEADERS`) },
      timeoutMs: read.integer(`OTEL_EXPORTER_OTLP_${signal}_TIMEOUT`, timeoutMs, 1, 600_000),
    };
  };

  const traceTarget = target('TRACES', 'v1/traces');
  const metricTarget = target('METRICS', 'v1/metrics');

  return {
    serviceName: read.string('OTEL_SERVICE_NAME') ?? 'eventflow',
    resourceAttributes: read.headers('OTEL_RESOURCE_ATTRIBUTES'),
    traces:
      traceTarget === null
        ? null
        : {
            ...traceTarget,
            scheduleDelayMs: read.integer('OTEL_BSP_SCHEDULE_DELAY', 1000, 1, 600_000),
            maxQueueSize: read.integer('OTEL_BSP_MAX_QUEUE_SIZE', 8192, 1, 1_000_000),
            maxExportBatchSize: read.integer('OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, 1, 100_000),
          },
    metrics:
      metricTarget === null
        ? null
        : {
            ...metricTarget,
            intervalMs: read.integer('OTEL_METRIC_EXPORT_INTERVAL', 60_000, 100, 86_400_000),
          },
    sampling: readSampling(read, problems),
  };
}

function readSampling(read: TelemetryEnv, problems: string[]): SamplingConfig {
  const sampler = read.string('OTEL_TRACES_SAMPLER')?.toLowerCase() ?? null;
  if (sampler !== null && !SAMPLERS.includes(sampler)) {
    problems.push(`OTEL_TRACES_SAMPLER must be one of ${SAMPLERS.join(', ')} (got "${sampler}")`);
  }

  // The OTel sampler names choose the share of cache hits; every other outcome is traced.
  let hitRatio = 0.1;
  if (sampler === 'always_on' || sampler === 'parentbased_always_on') hitRatio = 1;
  if (sampler === 'always_off' || sampler === 'parentbased_always_off') hitRatio = 0;
  if (sampler?.endsWith('traceidratio') === true) {
    hitRatio = read.ratio('OTEL_TRACES_SAMPLER_ARG', 1);
  }

  hitRatio = read.ratio('EVENTFLOW_TRACE_HIT_RATIO', hitRatio);
  return {
    hitRatio,
    // A ratio of 0 means no hit traces at all, so the floor defaults to none then.
    hitFloorPerSecond: read.integer('EVENTFLOW_TRACE_HIT_FLOOR', hitRatio === 0 ? 0 : 1, 0, 1000),
    slowMs: read.integer('EVENTFLOW_TRACE_SLOW_MS', 250, 0, 600_000),
  };
}

class TelemetryEnv {
  readonly #env: Env;
  readonly #problems: string[];

  constructor(env: Env, problems: string[]) {
    this.#env = env;
    this.#problems = problems;
  }

  string(name: string): string | null {
    const value = this.#env[name];
    return value === undefined || value.trim() === '' ? null : value.trim();
  }

  boolean(name: string, fallback: boolean): boolean {
    const text = this.string(name)?.toLowerCase() ?? null;
    if (text === null) return fallback;
    if (text === 'true' || text === 'false') return text === 'true';

    this.#problems.push(`${name} must be true or false (got "${text}")`);
    return fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.string(name);
    if (text === null) return fallback;

    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.#problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return fallback;
    }
    return value;
  }

  ratio(name: string, fallback: number): number {
    const text = this.string(name);
    if (text === null) return fallback;

    const value = Number(text);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      this.#problems.push(`${name} must be a number from 0 to 1 (got "${text}")`);
      return fallback;
    }
    return value;
  }

  protocol<T extends OtlpTarget['protocol']>(name: string, fallback: T): OtlpTarget['protocol'] {
    const text = this.string(name);
    if (text === null) return fallback;
    if (text === 'http/protobuf' || text === 'grpc') return text;

    this.#problems.push(`${name} must be http/protobuf or grpc (got "${text}")`);
    return fallback;
  }

  /** `key=value,key2=value2` with percent-encoded values (W3C Baggage syntax, as OTel uses). */
  headers(name: string): Record<string, string> {
    const text = this.string(name);
    const result: Record<string, string> = {};
    if (text === null) return result;

    for (const pair of text.split(',')) {
      const separator = pair.indexOf('=');
      const key = separator < 0 ? '' : pair.slice(0, separator).trim();
      if (key === '') {
        this.#problems.push(`${name} must be a list of key=value pairs`);
        return {};
      }
      try {
        result[key] = decodeURIComponent(pair.slice(separator + 1).trim());
      } catch {
        this.#problems.push(`${name} has a value that is not valid percent-encoding`);
        return {};
      }
    }
    return result;
  }
}
