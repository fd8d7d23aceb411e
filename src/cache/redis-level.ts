import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';
import type { CachedDocument, SharedLevelStats } from './cache.js';
import { CircuitBreaker } from '../domain/circuit-breaker.js';
import { withDeadline } from './deadline.js';
import { decodeEnvelope, encodeEnvelope } from './document-envelope.js';
import { RedisEpoch } from './redis-epoch.js';
import { RedisInvalidator } from './redis-invalidator.js';
import { redisKeysOf, VERSION_TTL_MS, type RedisKeyPair } from './redis-keys.js';
import { defineCacheScripts, type ReadReply, type ScriptedClient } from './redis-scripts.js';

/** A filled document's version lives this much longer than the document itself. */
const VERSION_MARGIN_MS = 60_000;
/** How often the maintenance timer looks at the breaker and the epoch. */
const MAINTENANCE_INTERVAL_MS = 100;

export interface RedisLevelOptions {
  client: Redis | Cluster;
  /** Unique per process; starts every token, epoch and message this process writes. */
  instanceId: string;
  /** Longest a request waits for one Redis command (REDIS_COMMAND_TIMEOUT_MS). */
  commandTimeoutMs: number;
  /** Consecutive failures that open the breaker (3). */
  failureThreshold?: number;
  /** Time between probes while the breaker is open (1000 ms). */
  coolDownMs?: number;
  log: Logger;
  /** The epoch in use changed: every document cached in this process may be stale. */
  onEpochChange: () => void;
  /** Waits for this process's own invalidation message (InvalidationBus.awaitDelivery). */
  awaitDelivery: (token: string) => { delivered: Promise<void>; cancel: () => void };
}

/** What a fill needs to be checked against the key's version: taken before the load. */
export interface FillLease {
  keys: RedisKeyPair;
  epoch: string;
  token: string;
}

export type SharedRead =
  | { kind: 'hit'; document: CachedDocument; ttlMs: number }
  | { kind: 'miss'; lease: FillLease }
  | { kind: 'unavailable' };

const UNAVAILABLE: SharedRead = { kind: 'unavailable' };

/**
 * The Redis level: reads, version-checked fills, invalidations, behind a circuit breaker.
 * Nothing here throws to the request path: a failure is a miss (reads), a skipped fill, or a
 * missed invalidation that a new epoch makes harmless before the level is read again.
 */
export class RedisLevel {
  readonly #client: ScriptedClient;
  readonly #instanceId: string;
  readonly #timeoutMs: number;
  readonly #log: Logger;
  readonly #breaker: CircuitBreaker;
  readonly #epoch: RedisEpoch;
  readonly #timer: NodeJS.Timeout;
  readonly #invalidator: RedisInvalidator;
  #tokenCounter = 0;
  #isProbing = false;
  #stats = {
    hits: 0,
    misses: 0,
    fills: 0,
    rejectedFills: 0,
    invalidations: 0,
    missedInvalidations: 0,
    corruptValues: 0,
    errors: 0,
    skipped: 0,
  };

  constructor(options: RedisLevelOptions) {
    this.#client = defineCacheScripts(options.client);
    this.#instanceId = options.instanceId;
    this.#timeoutMs = options.commandTimeoutMs;
    this.#log = options.log;
    this.#breaker = new CircuitBreaker({
      failureThreshold: options.failureThreshold,
      coolDownMs: options.coolDownMs,
      onChange: (state, previous, cause) => {
        if (state === 'open') this.#log.warn({ err: cause, previous }, 'redis cache breaker open');
        else if (state === 'closed') this.#log.info({ previous }, 'redis cache breaker closed');
        else this.#log.debug({ previous }, 'redis cache breaker half-open');
      },
    });
    this.#epoch = new RedisEpoch({
      client: this.#client,
      instanceId: options.instanceId,
      timeoutMs: options.commandTimeoutMs,
      log: options.log,
      canSend: () => this.#breaker.isClosed,
      onChange: options.onEpochChange,
      onFailure: (error) => this.#fail(error),
    });
    this.#invalidator = new RedisInvalidator({
      client: this.#client,
      instanceId: options.instanceId,
      timeoutMs: options.commandTimeoutMs,
      breaker: this.#breaker,
      newToken: () => this.#newToken(),
      awaitDelivery: options.awaitDelivery,
      onError: () => this.#stats.errors++,
      onMissed: (cause) => {
        this.#stats.missedInvalidations++;
        this.#epoch.requireReplacement();
        this.#breaker.trip(cause);
      },
    });
    this.#timer = setInterval(() => this.#maintain(), MAINTENANCE_INTERVAL_MS);
    this.#timer.unref();
  }

  get epoch(): RedisEpoch {
    return this.#epoch;
  }

  /** Reads may use Redis: breaker closed, epoch known and no missed invalidation pending. */
  get isReadable(): boolean {
    return this.#breaker.isClosed && this.#epoch.current !== null && !this.#epoch.needsReplacement;
  }

  /** One round trip: the document if current, else a lease to fill it. */
  async read(key: string): Promise<SharedRead> {
    const epoch = this.#epoch.current;
    if (epoch === null || !this.isReadable) {
      this.#stats.skipped++;
      return UNAVAILABLE;
    }

    const keys = redisKeysOf(key);
    let reply: ReadReply;
    try {
      reply = await withDeadline(
        this.#client.eventflowCacheReadBuffer(
          keys.version,
          keys.value,
          this.#newToken(),
          VERSION_TTL_MS,
        ),
        this.#timeoutMs,
      );
    } catch (error) {
      this.#fail(error);
      return UNAVAILABLE;
    }
    this.#breaker.recordSuccess();
    // The epoch moved while the command ran: what it saw may predate the new epoch.
    if (this.#epoch.current !== epoch) return UNAVAILABLE;
    if (!Buffer.isBuffer(reply[0])) return UNAVAILABLE;

    const token = reply[0].toString('latin1');
    if (reply.length === 3) {
      const envelope = Buffer.isBuffer(reply[1]) ? decodeEnvelope(reply[1]) : null;
      if (envelope === null) {
        this.#dropCorrupt(key, keys.value);
      } else if (envelope.epoch === epoch && envelope.token === token) {
        this.#stats.hits++;
        return { kind: 'hit', document: envelope.document, ttlMs: Number(reply[2]) };
      }
      // Otherwise an older epoch or version wrote it: a miss, and the fill replaces it.
    }
    this.#stats.misses++;
    return { kind: 'miss', lease: { keys, epoch, token } };
  }

  /** Stores the document if the key's version is still the lease's token. */
  async fill(
    lease: FillLease,
    document: CachedDocument,
    ttlSeconds: number,
  ): Promise<'stored' | 'rejected' | 'skipped'> {
    if (lease.epoch !== this.#epoch.current || !this.isReadable) {
      this.#stats.skipped++;
      return 'skipped';
    }

    let stored: number;
    try {
      const envelope = encodeEnvelope(lease.epoch, lease.token, document);
      stored = await withDeadline(
        this.#client.eventflowCacheFill(
          lease.keys.version,
          lease.keys.value,
          lease.token,
          envelope,
          Math.round(ttlSeconds * 1000),
          VERSION_MARGIN_MS,
        ),
        this.#timeoutMs,
      );
    } catch (error) {
      this.#fail(error);
      return 'skipped';
    }
    this.#breaker.recordSuccess();

    if (stored === 1) {
      this.#stats.fills++;
      return 'stored';
    }
    this.#stats.rejectedFills++;
    return 'rejected';
  }

  /**
   * Replaces the versions of `keys`, deletes their values and tells the other instances.
   * Never throws, and returns within the command timeout. An invalidation that fails is
   * counted as missed: the breaker opens, and before Redis is read again a new epoch retires
   * every value stored so far (RedisEpoch). One still unanswered at its deadline (or sent
   * while the breaker is open, without waiting) is followed in the background: if Redis runs
   * it, nothing was missed; if the connection fails first, it was.
   */
  async invalidate(keys: readonly string[]): Promise<void> {
    this.#stats.invalidations += keys.length;
    await this.#invalidator.invalidate(keys);
  }

  /** PUBLISH for heartbeats; the number of receivers, or null when Redis did not answer. */
  async publish(channel: string, message: string): Promise<number | null> {
    try {
      return await withDeadline(this.#client.publish(channel, message), this.#timeoutMs);
    } catch {
      return null;
    }
  }

  stats(isChannelUp: boolean): SharedLevelStats {
    return {
      ...this.#stats,
      epochReplacements: this.#epoch.replacements,
      breaker: this.#breaker.state,
      epoch: this.#epoch.current,
      isChannelUp,
    };
  }

  close(): void {
    clearInterval(this.#timer);
  }

  #fail(error: unknown): void {
    this.#stats.errors++;
    this.#breaker.recordFailure(error);
  }

  #dropCorrupt(key: string, valueKey: string): void {
    this.#stats.corruptValues++;
    this.#log.warn({ key }, 'redis cache value corrupt; treated as a miss');
    // Deleting can only cost a miss, even if a good value replaced it meanwhile.
    withDeadline(this.#client.del(valueKey), this.#timeoutMs).catch(() => undefined);
  }

  #maintain(): void {
    if (this.#breaker.isClosed) {
      this.#epoch.refreshIfNeeded();
      return;
    }
    // Wait for late invalidations to settle: each either ran (nothing missed) or failed
    // (a new epoch is needed). The socket timeout bounds the wait.
    if (this.#isProbing || this.#invalidator.unsettled > 0 || !this.#breaker.isDueForProbe) return;

    this.#isProbing = true;
    void this.#probe().finally(() => {
      this.#isProbing = false;
    });
  }

  /** Half-open: replace the epoch if invalidations were missed, else PING; then close. */
  async #probe(): Promise<void> {
    if (!this.#breaker.tryHalfOpen()) return;

    try {
      // Invalidations sent while half-open that fail ask for another epoch: repeat until
      // a replacement covers every missed one.
      while (this.#breaker.state === 'half-open' && this.#epoch.needsReplacement) {
        await this.#epoch.replace();
      }
      if (this.#breaker.state !== 'half-open') return;
      await withDeadline(this.#client.ping(), this.#timeoutMs);
      this.#breaker.close();
    } catch (error) {
      this.#stats.errors++;
      this.#breaker.trip(error);
    }
  }

  #newToken(): string {
    this.#tokenCounter++;
    return `${this.#instanceId}.${this.#tokenCounter.toString(36)}`;
  }
}
