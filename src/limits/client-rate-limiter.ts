import type { Cluster, Redis } from 'ioredis';
import { withDeadline } from '../cache/deadline.js';
import type { Logger } from '../telemetry/logger.js';
import { windowKey } from './redis-rate-limit-store.js';
import type { RateDecision, RateQuota } from './rate-limit-store.js';

interface ClientWindow {
  /** Which window (time / windowMs, rounded down) the counts belong to. */
  id: number;
  /** Units every instance had counted at the last sync, this one's included. */
  shared: number;
  /** Units this instance admitted since the last sync. */
  unsynced: number;
}

export interface ClientRateLimiterOptions {
  quota: RateQuota;
  /** Shares counts through Redis when given; counts in this process alone otherwise. */
  redis: Redis | Cluster | null;
  /** How often local counts are added to the shared ones (100 ms). */
  syncIntervalMs?: number;
  /** Longest one sync waits for Redis. */
  commandTimeoutMs: number;
  log: Logger;
  now?: () => number;
}

/**
 * The per-client limit on every request. It decides synchronously, so a cached read stays
 * a synchronous answer with no Redis round trip: windows are aligned to the clock (every
 * instance agrees on them), each instance counts what it admits, and every sync interval
 * adds its new counts to the client's shared counter in Redis and learns the total. Across
 * instances a client can therefore pass the limit by what the instances admit to it within
 * one sync interval; within one instance the limit is exact.
 */
export class ClientRateLimiter {
  readonly quota: RateQuota;
  readonly #windows = new Map<string, ClientWindow>();
  readonly #redis: Redis | Cluster | null;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #timeoutMs: number;
  readonly #timer: NodeJS.Timeout;
  #isSyncing = false;

  constructor(options: ClientRateLimiterOptions) {
    this.quota = options.quota;
    this.#redis = options.redis;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#timer = setInterval(() => void this.sync(), options.syncIntervalMs ?? 100);
    this.#timer.unref();
  }

  /** Counts one request of `client` and says whether it is within the limit. */
  admit(client: string): RateDecision {
    const now = this.#now();
    const id = Math.floor(now / this.quota.windowMs);
    let window = this.#windows.get(client);
    if (window === undefined || window.id !== id) {
      window = { id, shared: 0, unsynced: 0 };
      this.#windows.set(client, window);
    }

    const resetMs = (id + 1) * this.quota.windowMs - now;
    const used = window.shared + window.unsynced;
    if (used >= this.quota.limit) return { isAllowed: false, remaining: 0, resetMs };

    window.unsynced++;
    return { isAllowed: true, remaining: this.quota.limit - used - 1, resetMs };
  }

  /** Drops finished windows and shares this instance's new counts (timer; tests call it). */
  async sync(): Promise<void> {
    if (this.#isSyncing) return;
    this.#isSyncing = true;
    try {
      const current = Math.floor(this.#now() / this.quota.windowMs);
      const pending: Promise<void>[] = [];
      for (const [client, window] of this.#windows) {
        if (window.id !== current) this.#windows.delete(client);
        else if (this.#redis !== null && window.unsynced > 0) {
          pending.push(this.#share(this.#redis, client, window));
        }
      }
      await Promise.all(pending);
    } finally {
      this.#isSyncing = false;
    }
  }

  /** Clients with a window open in this process. */
  get size(): number {
    return this.#windows.size;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#windows.clear();
  }

  async #share(redis: Redis | Cluster, client: string, window: ClientWindow): Promise<void> {
    const count = window.unsynced;
    const key = `${windowKey(this.quota, client)}:${window.id}`;
    window.unsynced = 0;
    try {
      const replies = await withDeadline(
        redis
          .multi()
          .incrby(key, count)
          .pexpire(key, this.quota.windowMs * 2)
          .exec(),
        this.#timeoutMs,
      );
      const [error, total] = replies?.[0] ?? [new Error('transaction discarded'), 0];
      if (error !== null) throw error;
      window.shared = Math.max(window.shared, Number(total));
    } catch (error) {
      // Redis is away: keep counting locally and share these units at a later sync. If a
      // timed-out INCRBY still lands, they count twice: the error is on the strict side.
      window.unsynced += count;
      this.#log.debug({ err: error }, 'client rate sync failed');
    }
  }
}
