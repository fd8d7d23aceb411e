import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { withDeadline } from '../cache/deadline.js';
import { CircuitBreaker } from '../domain/circuit-breaker.js';
import { CACHE_PREFIX } from '../domain/cache-keys.js';
import type { Logger } from '../telemetry/logger.js';
import { decide, MemoryRateLimitStore } from './memory-rate-limit-store.js';
import type { RateDecision, RateLimitStore, RateQuota } from './rate-limit-store.js';

/** KEYS: window. ARGV: window ms. Counts one unit; returns {count, ms until the window closes}. */
const CONSUME = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/** KEYS: window. Takes one unit back from an open window; never below zero. */
const REFUND = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return 1
`;

interface RateScripts {
  eventflowRateConsume(key: string, windowMs: number): Promise<[number, number]>;
  eventflowRateRefund(key: string): Promise<number>;
}

export interface RedisRateLimitStoreOptions {
  client: Redis | Cluster;
  /** Longest a request waits for Redis before deciding from local counts. */
  commandTimeoutMs: number;
  log: Logger;
}

/**
 * Windows in Redis, shared by every instance. Subjects (e-mail addresses, client addresses)
 * are stored as SHA-256 digests, so Redis holds no personal data in clear. While Redis
 * fails or is slow, a circuit breaker sends decisions to a local memory store: limits then
 * hold per instance instead of across them, and no request waits for a dead Redis.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #client: (Redis | Cluster) & RateScripts;
  readonly #timeoutMs: number;
  readonly #local = new MemoryRateLimitStore();
  readonly #breaker: CircuitBreaker;

  constructor(options: RedisRateLimitStoreOptions) {
    options.client.defineCommand('eventflowRateConsume', { numberOfKeys: 1, lua: CONSUME });
    options.client.defineCommand('eventflowRateRefund', { numberOfKeys: 1, lua: REFUND });
    this.#client = options.client as (Redis | Cluster) & RateScripts;
    this.#timeoutMs = options.commandTimeoutMs;
    const log = options.log;
    this.#breaker = new CircuitBreaker({
      onChange: (state, previous, cause) => {
        if (state === 'open') log.warn({ err: cause, previous }, 'rate limit store degraded');
        else if (state === 'closed') log.info({ previous }, 'rate limit store recovered');
      },
    });
  }

  async consume(quota: RateQuota, subject: string): Promise<RateDecision> {
    if (!this.#canSend()) return this.#local.take(quota, subject);

    try {
      const [count, ttl] = await withDeadline(
        this.#client.eventflowRateConsume(windowKey(quota, subject), quota.windowMs),
        this.#timeoutMs,
      );
      this.#succeeded();
      return decide(quota, count, ttl);
    } catch (error) {
      this.#failed(error);
      return this.#local.take(quota, subject);
    }
  }

  async refund(quota: RateQuota, subject: string): Promise<void> {
    this.#local.give(quota, subject);
    if (!this.#breaker.isClosed) return;

    try {
      await withDeadline(
        this.#client.eventflowRateRefund(windowKey(quota, subject)),
        this.#timeoutMs,
      );
    } catch (error) {
      this.#failed(error);
    }
  }

  async close(): Promise<void> {
    await this.#local.close();
  }

  /** Closed: send. Open: only once the cool-down has passed, as the probe. */
  #canSend(): boolean {
    return this.#breaker.isClosed || this.#breaker.tryHalfOpen();
  }

  #succeeded(): void {
    if (this.#breaker.state === 'half-open') this.#breaker.close();
    else this.#breaker.recordSuccess();
  }

  #failed(error: unknown): void {
    if (this.#breaker.state === 'half-open') this.#breaker.trip(error);
    else this.#breaker.recordFailure(error);
  }
}

/** `eventflow:v1:limit:<policy>:<digest>`; one key per command, so Cluster needs no tag. */
export function windowKey(quota: RateQuota, subject: string): string {
  const digest = createHash('sha256').update(subject).digest('base64url');
  return `${CACHE_PREFIX}limit:${quota.name}:${digest}`;
}
