import type {
  CounterFamily,
  HistogramFamily,
  HistogramSample,
  MetricFamily,
} from './metric-family.js';

/** Statuses with a series of their own; anything else is counted under `other`. */
const STATUSES = [
  200, 201, 204, 304, 400, 401, 403, 404, 405, 408, 409, 413, 415, 422, 429, 499, 500, 503,
];
const STATUS_SLOTS = STATUSES.length + 1;
const OTHER_SLOT = STATUSES.length;
const SLOT_OF_STATUS = new Uint8Array(600).fill(OTHER_SLOT);
STATUSES.forEach((status, slot) => (SLOT_OF_STATUS[status] = slot));

/** Latency bucket bounds in seconds: a near-cache hit takes microseconds, a miss milliseconds. */
export const LATENCY_BOUNDS_SECONDS: readonly number[] = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
const BOUNDS_MS = LATENCY_BOUNDS_SECONDS.map((seconds) => seconds * 1000);
const BUCKETS = BOUNDS_MS.length + 1;

/** A series of the request metrics: the route template and the method it answers. */
export interface RouteKey {
  method: string;
  path: string;
}

/** Pseudo-routes for requests that match no contract route. */
export const UNMATCHED_ROUTE: RouteKey = { method: '_OTHER', path: 'unmatched' };
export const SWAGGER_ROUTE: RouteKey = { method: 'GET', path: '/swagger/*' };

/**
 * Request count and latency by route and status, for every request (sampled or not). The
 * hot path only indexes preallocated arrays: no allocation, no map of label strings; labels
 * are built when the metrics are read.
 */
export class HttpMetrics {
  readonly #routes: RouteKey[];
  readonly #indexByRoute = new Map<RouteKey, number>();
  readonly #counts: Float64Array;
  readonly #sums: Float64Array;
  readonly #buckets: Float64Array;
  /** Cached reads answered from a cache, and those that had to load. */
  readonly #cacheOutcomes = new Float64Array(2);

  constructor(routes: readonly RouteKey[]) {
    this.#routes = [...routes, UNMATCHED_ROUTE, SWAGGER_ROUTE];
    this.#routes.forEach((route, index) => this.#indexByRoute.set(route, index));
    const series = this.#routes.length * STATUS_SLOTS;
    this.#counts = new Float64Array(series);
    this.#sums = new Float64Array(series);
    this.#buckets = new Float64Array(series * BUCKETS);
  }

  /** The series index of a route given to the constructor (or a pseudo-route). */
  indexOf(route: RouteKey): number {
    return this.#indexByRoute.get(route) ?? (this.#indexByRoute.get(UNMATCHED_ROUTE) as number);
  }

  observe(routeIndex: number, status: number, durationMs: number): void {
    const slot = status >= 0 && status < 600 ? (SLOT_OF_STATUS[status] as number) : OTHER_SLOT;
    const series = routeIndex * STATUS_SLOTS + slot;
    this.#counts[series]!++;
    this.#sums[series]! += durationMs;

    let bucket = 0;
    while (bucket < BOUNDS_MS.length && durationMs > (BOUNDS_MS[bucket] as number)) bucket++;
    this.#buckets[series * BUCKETS + bucket]!++;
  }

  countCacheOutcome(isHit: boolean): void {
    this.#cacheOutcomes[isHit ? 0 : 1]!++;
  }

  families(): MetricFamily[] {
    const requests: CounterFamily = {
      type: 'counter',
      name: 'eventflow_http_requests',
      help: 'HTTP requests answered, by route template, method and status.',
      samples: [],
    };
    const latency: HistogramFamily = {
      type: 'histogram',
      name: 'eventflow_http_request_duration_seconds',
      help: 'Time from the request line to the response, by route template, method and status.',
      unit: 's',
      bounds: LATENCY_BOUNDS_SECONDS,
      samples: [],
    };

    for (let series = 0; series < this.#counts.length; series++) {
      const count = this.#counts[series] as number;
      if (count === 0) continue;

      const route = this.#routes[Math.floor(series / STATUS_SLOTS)] as RouteKey;
      const slot = series % STATUS_SLOTS;
      const labels = {
        method: route.method,
        route: route.path,
        status: slot === OTHER_SLOT ? 'other' : String(STATUSES[slot]),
      };
      requests.samples.push({ labels, value: count });

      const first = series * BUCKETS;
      const sample: HistogramSample = {
        labels,
        counts: Array.from(this.#buckets.subarray(first, first + BUCKETS)),
        sum: (this.#sums[series] as number) / 1000,
        count,
      };
      latency.samples.push(sample);
    }

    const cached: CounterFamily = {
      type: 'counter',
      name: 'eventflow_http_cached_reads',
      help: 'Cacheable reads by how they were answered: from a cache (hit) or loaded (miss).',
      samples: [
        { labels: { outcome: 'hit' }, value: this.#cacheOutcomes[0] as number },
        { labels: { outcome: 'miss' }, value: this.#cacheOutcomes[1] as number },
      ],
    };
    return [requests, latency, cached];
  }
}
