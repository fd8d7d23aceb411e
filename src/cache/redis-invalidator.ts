import type { CircuitBreaker } from '../domain/circuit-breaker.js';
import { INVALIDATION_CHANNEL, redisKeysOf, VERSION_TTL_MS } from './redis-keys.js';
import type { ScriptedClient } from './redis-scripts.js';

export interface RedisInvalidatorOptions {
  client: ScriptedClient;
  instanceId: string;
  /** Longest a write waits for one invalidation (REDIS_COMMAND_TIMEOUT_MS). */
  timeoutMs: number;
  /** Open: invalidations are sent without waiting. A timeout trips it. */
  breaker: CircuitBreaker;
  newToken: () => string;
  /** Waits for this process's own invalidation message (InvalidationBus.awaitDelivery). */
  awaitDelivery: (token: string) => { delivered: Promise<void>; cancel: () => void };
  onError: () => void;
  /** An invalidation failed, or its connection did before it was confirmed. */
  onMissed: (cause: unknown) => void;
}

/**
 * Sends invalidations: one script per key replaces its version, deletes its value and
 * publishes the key (redis-scripts.ts). A write waits until Redis confirmed the script and
 * this process's own copy of the message came back, bounded by the command timeout. What
 * happens past that (or while the breaker is open, when nobody waits) is followed in the
 * background until the command settles: run means nothing was missed; failed means missed.
 * The breaker does not close while any is unsettled, so the owner knows, before it reads
 * Redis again, whether a new epoch is needed.
 */
export class RedisInvalidator {
  readonly #options: RedisInvalidatorOptions;
  #unsettledCount = 0;

  constructor(options: RedisInvalidatorOptions) {
    this.#options = options;
  }

  /** Invalidations that nobody waits for and that have not settled (they may still run). */
  get unsettled(): number {
    return this.#unsettledCount;
  }

  /** Never throws; returns within the command timeout. */
  async invalidate(keys: readonly string[]): Promise<void> {
    const isWaiting = this.#options.breaker.state !== 'open';
    await Promise.all(keys.map((key) => this.#invalidateOne(key, isWaiting)));
  }

  async #invalidateOne(key: string, isWaiting: boolean): Promise<void> {
    const keys = redisKeysOf(key);
    const token = this.#options.newToken();
    const delivery = isWaiting ? this.#options.awaitDelivery(token) : null;
    const command = this.#options.client.eventflowCacheInvalidate(
      keys.version,
      keys.value,
      token,
      VERSION_TTL_MS,
      INVALIDATION_CHANNEL,
      `${this.#options.instanceId} ${token} ${key}`,
    );
    if (delivery === null) {
      this.#follow(command);
      return;
    }

    // Done when Redis confirmed it, our own copy of the message came back, and a fence
    // (below) proved the other instances' copies left Redis; or at the deadline.
    await new Promise<void>((resolve) => {
      let isConfirmed = false;
      let isLate = false;
      const timer = setTimeout(() => {
        delivery.cancel();
        if (!isConfirmed) {
          isLate = true;
          this.#options.onError();
          this.#options.breaker.trip(new Error(`cache invalidation of ${key} timed out`));
          this.#follow(command);
        }
        resolve();
      }, this.#options.timeoutMs);
      command.then(
        () => {
          isConfirmed = true;
          if (isLate) return;
          this.#options.breaker.recordSuccess();
          void Promise.all([delivery.delivered, this.#fence()]).then(() => {
            clearTimeout(timer);
            resolve();
          });
        },
        (error: unknown) => {
          if (isLate) return;
          clearTimeout(timer);
          delivery.cancel();
          this.#options.onError();
          this.#options.onMissed(error);
          resolve();
        },
      );
    });
  }

  /**
   * Resolves once Redis has written every subscriber's copy of the messages published so
   * far. Redis writes pending replies and messages to all its clients in one pass before it
   * reads further commands, but it can be descheduled in the middle of that pass; a PING
   * sent after the script's reply is answered only in a later pass, so its answer means
   * every copy is in its subscriber's socket, ahead of any request a client sends after our
   * reply. (Without it, a loaded machine let another instance serve its near-cache copy
   * about a millisecond before its copy of the message arrived.)
   */
  async #fence(): Promise<void> {
    try {
      await this.#options.client.ping();
    } catch {
      // The invalidation itself was confirmed; a broken connection only loses the fence.
    }
  }

  /** Tracks an invalidation nobody waits for; the breaker stays open until it settles. */
  #follow(command: Promise<unknown>): void {
    this.#unsettledCount++;
    command.then(
      () => this.#unsettledCount--,
      (error: unknown) => {
        this.#unsettledCount--;
        this.#options.onError();
        this.#options.onMissed(error);
      },
    );
  }
}
