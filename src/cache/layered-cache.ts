import { randomBytes } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';
import type {
  Cache,
  CachedDocument,
  CacheStats,
  FillTicket,
  RemoteInvalidationListener,
  SharedLookup,
} from './cache.js';
import { withDeadline } from './deadline.js';
import { InvalidationBus } from './invalidation-bus.js';
import { MemoryCache } from './memory-cache.js';
import { RedisLevel, type FillLease, type SharedRead } from './redis-level.js';

export interface LayeredCacheOptions {
  /** Command connection (standalone or cluster). */
  client: Redis | Cluster;
  /** Opens a fresh subscriber connection. */
  connectSubscriber: () => Redis;
  isStandalone: boolean;
  /** Longest a request waits for one Redis command (REDIS_COMMAND_TIMEOUT_MS, 150 ms). */
  commandTimeoutMs: number;
  /** Longest a near-cache entry lives; the staleness bound if invalidations are lost (3 s). */
  nearTtlSeconds: number;
  /** Byte budget of the near cache (NEAR_CACHE_MAX_BYTES). */
  nearMaxBytes: number;
  log: Logger;
  /** Breaker: consecutive failures that open it (3) and time between probes (1000 ms). */
  failureThreshold?: number;
  coolDownMs?: number;
  /** Invalidation channel heartbeat (1000 ms) and the silence that counts as lost (2000 ms). */
  heartbeatIntervalMs?: number;
  heartbeatTimeoutMs?: number;
}

const UNAVAILABLE: SharedRead = { kind: 'unavailable' };

/** A near-cache ticket plus, after a Redis miss, the lease the Redis fill is checked with. */
interface LayeredTicket extends FillTicket {
  lease: FillLease | null;
}

/**
 * Two levels: a small in-process near cache (MemoryCache, short TTL) answers hot keys
 * synchronously; Redis (RedisLevel) is shared by every instance. Correctness, in short:
 *
 * - Redis never keeps a value older than an invalidation that raced its fill: a fill is
 *   stored only if the key's version token is still the one read before the database read,
 *   and an invalidation replaces the token (redis-scripts.ts).
 * - The near cache never keeps such a value either: its ticket is taken before Redis is
 *   asked, and local writes, other instances' messages and epoch changes all invalidate
 *   through MemoryCache, which refuses fills older than the invalidation.
 * - Other instances hear of a write through a message published in the same script that
 *   replaced the version. If the channel is lost, a near entry is served for at most
 *   `nearTtlSeconds`; Redis itself is not read until the channel is back and the epoch re-read.
 * - Invalidations that cannot be confirmed (Redis down, frozen, breaker open) are made
 *   harmless by a new epoch before this instance reads Redis again (RedisLevel, RedisEpoch).
 */
export class LayeredCache implements Cache {
  readonly #near: MemoryCache;
  readonly #nearTtlSeconds: number;
  readonly #client: Redis | Cluster;
  readonly #level: RedisLevel;
  readonly #bus: InvalidationBus;
  readonly #listeners: RemoteInvalidationListener[] = [];
  readonly #log: Logger;

  constructor(options: LayeredCacheOptions) {
    const instanceId = randomBytes(6).toString('base64url');
    this.#near = new MemoryCache({ maxBytes: options.nearMaxBytes });
    this.#nearTtlSeconds = options.nearTtlSeconds;
    this.#log = options.log;
    this.#client = options.client;
    this.#client.on('error', (error: unknown) => {
      this.#log.debug({ err: error }, 'redis cache connection error');
    });

    this.#level = new RedisLevel({
      client: options.client,
      instanceId,
      commandTimeoutMs: options.commandTimeoutMs,
      failureThreshold: options.failureThreshold,
      coolDownMs: options.coolDownMs,
      log: options.log,
      onEpochChange: () => this.#dropEverything(),
      awaitDelivery: (token) => this.#bus.awaitDelivery(token),
    });
    this.#bus = new InvalidationBus({
      connect: options.connectSubscriber,
      instanceId,
      publish: (channel, message) => this.#level.publish(channel, message),
      isStandalone: options.isStandalone,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      heartbeatTimeoutMs: options.heartbeatTimeoutMs,
      log: options.log,
      onUp: () => {
        // Messages sent while we were not subscribed are lost: start the near level afresh.
        this.#dropEverything();
        this.#level.epoch.setChannelReady(true);
      },
      onDown: () => this.#level.epoch.setChannelReady(false),
      onInvalidation: (key) => {
        this.#near.invalidateNow([key]);
        this.#notify([key]);
      },
      onEpochAnnounced: (epoch) => {
        if (epoch === this.#level.epoch.current) return;
        this.#level.epoch.forget();
        this.#dropEverything();
      },
    });
  }

  /** True when reads use Redis (breaker closed, channel up, epoch known). */
  get isSharedLevelReady(): boolean {
    return this.#bus.isUp && this.#level.isReadable;
  }

  peek(key: string): CachedDocument | undefined {
    return this.#near.peek(key);
  }

  async get(key: string): Promise<CachedDocument | undefined> {
    const found = await this.lookup(key);
    if (found.ticket === undefined) return found.document;

    this.abandonFill(found.ticket);
    return undefined;
  }

  async lookup(key: string): Promise<SharedLookup> {
    // The near ticket predates the Redis read, so a message that arrives while the read is
    // in flight refuses the near fill of what the read returns.
    const near = this.#near.startFill(key);
    const read = await this.#level.read(key).catch((error: unknown) => {
      // RedisLevel handles its own failures; this only keeps a bug from failing the request.
      this.#log.error({ err: error, key }, 'redis cache read failed unexpectedly');
      return UNAVAILABLE;
    });
    if (read.kind === 'hit') {
      const ttl = read.ttlMs > 0 ? Math.min(this.#nearTtlSeconds, read.ttlMs / 1000) : 0;
      // The decoded body is a view into ioredis's reply buffer, which may be far larger than
      // the document; the near level keeps a copy of its own so its byte budget is true.
      const document = { body: Buffer.from(read.document.body), etag: read.document.etag };
      if (ttl > 0) await this.#near.completeFill(near, document, ttl);
      else this.#near.abandonFill(near);
      return { document: read.document };
    }

    const ticket: LayeredTicket = {
      key,
      sequence: near.sequence,
      lease: read.kind === 'miss' ? read.lease : null,
    };
    return { ticket };
  }

  /** A ticket without a Redis lease: its fill reaches the near level only. */
  startFill(key: string): FillTicket {
    const near = this.#near.startFill(key);
    const ticket: LayeredTicket = { key, sequence: near.sequence, lease: null };
    return ticket;
  }

  async completeFill(ticket: FillTicket, document: CachedDocument, ttlSeconds: number) {
    const lease = (ticket as Partial<LayeredTicket>).lease ?? null;
    const outcome =
      lease === null
        ? 'skipped'
        : await this.#level.fill(lease, document, ttlSeconds).catch((error: unknown) => {
            this.#log.error(
              { err: error, key: ticket.key },
              'redis cache fill failed unexpectedly',
            );
            return 'skipped' as const;
          });

    // Refused: the key was invalidated after the ticket, maybe by an instance whose message
    // has not arrived yet. Keep the document out of the near level too.
    if (outcome === 'rejected') {
      this.#near.abandonFill(ticket);
      return;
    }
    await this.#near.completeFill(ticket, document, Math.min(ttlSeconds, this.#nearTtlSeconds));
  }

  abandonFill(ticket: FillTicket): void {
    this.#near.abandonFill(ticket);
  }

  /** Never throws; returns within about one command timeout. */
  async invalidate(keys: readonly string[]): Promise<void> {
    this.#near.invalidateNow(keys);
    await this.#level.invalidate(keys);
  }

  onRemoteInvalidation(listener: RemoteInvalidationListener): void {
    this.#listeners.push(listener);
  }

  stats(): CacheStats {
    return { ...this.#near.stats(), shared: this.#level.stats(this.#bus.isUp) };
  }

  async close(): Promise<void> {
    this.#bus.close();
    this.#level.close();
    await this.#near.close();
    try {
      await withDeadline(this.#client.quit(), 1000);
    } catch {
      this.#client.disconnect();
    }
  }

  #dropEverything(): void {
    this.#near.clear();
    this.#notify(null);
  }

  #notify(keys: readonly string[] | null): void {
    for (const listener of this.#listeners) listener(keys);
  }
}
