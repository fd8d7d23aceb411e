import type { CacheAside } from '../cache/cache-aside.js';
import type { Logger } from '../telemetry/logger.js';
import type { RequestObservation } from '../telemetry/request-telemetry.js';
import { epochMs, SPAN_KIND, STATUS } from '../telemetry/span-record.js';
import type { Telemetry } from '../telemetry/telemetry.js';
import { formatTraceparent, newSpanId } from '../telemetry/trace-context.js';
import type { TaskRequest, TaskResponse } from '../workers/protocol.js';
import { PoolOverloadedError, type TaskPool } from '../workers/task-pool.js';
import type { Exchange } from './exchange.js';
import type { RequestHead } from './request-head.js';
import type { LoginAttempt, RequestLimits } from './request-limits.js';
import { writeCached, writeTaskResponse } from './responses.js';

/** A 503 that tells the client to come back in a second. */
const OVERLOADED = {
  detail: 'The service is overloaded; retry shortly.',
  headers: [['Retry-After', '1']] as [string, string][],
};

const HASHING_BUSY = {
  detail: 'Too many password checks are waiting; retry shortly.',
  headers: [['Retry-After', '1']] as [string, string][],
};

export interface TaskDispatcherDependencies {
  pool: TaskPool;
  cacheAside: CacheAside;
  limits: RequestLimits;
  telemetry: Telemetry;
  log: Logger;
}

/**
 * Sends a request's task to the worker pool, through the cache for cached reads, and records
 * the dispatch in its trace. Refusals (pool saturated, hashing gate full, login limits) are
 * answered here, on the exchange.
 */
export class TaskDispatcher {
  readonly #pool: TaskPool;
  readonly #cacheAside: CacheAside;
  /** Whether cache-aside reads consult a shared level (Redis) before loading. */
  readonly #hasSharedCache: boolean;
  readonly #limits: RequestLimits;
  readonly #telemetry: Telemetry;
  readonly #log: Logger;

  constructor(deps: TaskDispatcherDependencies) {
    this.#pool = deps.pool;
    this.#cacheAside = deps.cacheAside;
    this.#hasSharedCache = deps.cacheAside.cache.stats().shared !== undefined;
    this.#limits = deps.limits;
    this.#telemetry = deps.telemetry;
    this.#log = deps.log;
  }

  /**
   * A cached read: the shared level, else one task shared by every concurrent miss of the
   * key (cache-aside), then the answer: the document with its ETag, or the task's answer.
   */
  async readThrough(
    exchange: Exchange,
    head: RequestHead,
    task: TaskRequest,
    cacheKey: string,
    ttlSeconds: number,
  ): Promise<void> {
    const lookupAt = performance.now();
    let loadAt = 0;
    const read = await this.#cacheAside.read(cacheKey, ttlSeconds, async () => {
      loadAt = performance.now();
      const response = await this.run(exchange, { ...task, wantsEtag: true });
      const document =
        response?.status === 200 && response.body !== null && response.etag !== undefined
          ? { body: Buffer.from(response.body), etag: response.etag }
          : null;
      return { value: response, document };
    });

    this.#telemetry.requests.readThrough(
      exchange.observation,
      read.outcome,
      lookupAt,
      loadAt,
      performance.now(),
      this.#hasSharedCache,
    );

    const { document, value } = read;
    if (document !== null) {
      exchange.respond((res) =>
        writeCached(res, exchange.traceId, document, read.outcome, head.ifNoneMatch),
      );
    } else if (value !== null) {
      exchange.respond((res) =>
        writeTaskResponse(res, exchange.traceId, head.path, head.query, value),
      );
    } else {
      // The shared load was refused by a saturated pool: its starter has answered 503, and
      // every reader that joined it answers the same now rather than at its deadline.
      exchange.problem('SERVICE_UNAVAILABLE', OVERLOADED);
    }
  }

  /**
   * Runs a task that hashes a password. A login attempt first passes the login limits; then
   * every such task waits for a turn at the hashing gate, so a flood of them cannot fill the
   * worker pool ahead of other work. Answers 429 or 503 itself and returns null when refused.
   */
  async runHashing(
    exchange: Exchange,
    client: string,
    task: TaskRequest,
  ): Promise<TaskResponse | null> {
    const limits = this.#limits;
    let attempt: LoginAttempt | null = null;
    if (task.operation === 'auth.login') {
      const { email } = task.input.body as { email: string };
      const admission = await limits.admitLogin(email, client);
      if (!admission.isAllowed) {
        exchange.problem('RATE_LIMITED', {
          detail: 'Too many failed sign-in attempts; retry later.',
          headers: admission.headers,
        });
        return null;
      }
      attempt = admission;
    }

    const turn = limits.hashing.enter();
    let response: TaskResponse | null = null;
    if (turn === null) {
      exchange.problem('SERVICE_UNAVAILABLE', HASHING_BUSY);
    } else {
      const release = await turn;
      try {
        // Waiting may have outlasted the deadline or the client: then the task never runs.
        if (!exchange.isFinished) response = await this.run(exchange, task);
      } finally {
        release();
      }
    }

    if (attempt !== null && (response === null || response.status === 200)) {
      await limits.forgiveLogin(attempt);
    }
    return response;
  }

  /**
   * Runs one task; answers 503 itself when the pool is saturated and returns null. The task
   * carries the request's trace context; a traced one is recorded as a `pool.run` span (from
   * dispatch to answer) that parents the worker's spans.
   */
  async run(exchange: Exchange, task: TaskRequest): Promise<TaskResponse | null> {
    const observation = exchange.observation;
    const spanId = newSpanId();
    task.traceparent = formatTraceparent(observation.traceId, spanId, observation.spanId !== null);
    task.deadlineAt = exchange.deadlineAt;
    const dispatchedAt = performance.now();
    try {
      const response = await this.#pool.run(task);
      if (observation.spanId !== null) {
        this.#recordPoolRun(observation, task, response, spanId, dispatchedAt, null);
      }
      return response;
    } catch (error) {
      if (observation.spanId !== null) {
        this.#recordPoolRun(observation, task, null, spanId, dispatchedAt, error);
      }
      if (!(error instanceof PoolOverloadedError)) throw error;

      this.#log.warn(observation.logFields, 'worker pool saturated');
      exchange.problem('SERVICE_UNAVAILABLE', OVERLOADED);
      return null;
    }
  }

  #recordPoolRun(
    observation: RequestObservation,
    task: TaskRequest,
    response: TaskResponse | null,
    spanId: string,
    dispatchedAt: number,
    error: unknown,
  ): void {
    const attributes: Record<string, string | number> = { 'eventflow.operation': task.operation };
    if (response?.startedAtMs !== undefined) {
      // Dispatch to the worker starting the task: piscina's queue plus the thread hop.
      const waitMs = response.startedAtMs - epochMs(dispatchedAt);
      attributes['pool.queue_wait_ms'] = Math.max(0, Math.round(waitMs * 1000) / 1000);
    }
    if (error !== null) {
      attributes['error.type'] =
        error instanceof PoolOverloadedError ? 'pool_overloaded' : 'pool_error';
    }
    const status = error === null ? STATUS.unset : STATUS.error;
    observation.addSpan(
      'pool.run',
      SPAN_KIND.internal,
      dispatchedAt,
      performance.now(),
      attributes,
      spanId,
      status,
    );
    this.#telemetry.requests.adopt(observation, response?.spans);
  }
}
