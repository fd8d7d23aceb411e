import type { Cache, CachedDocument, FillTicket } from './cache.js';

/** What loading a document from the source produced: a document to cache, or not. */
export interface LoadResult<T> {
  value: T;
  document: CachedDocument | null;
}

export interface CacheAsideRead<T> {
  /** The loaded value; null when the document came from a cache. */
  value: T | null;
  document: CachedDocument | null;
  outcome: 'hit' | 'miss';
}

/**
 * Cache-aside reads with single-flight: concurrent misses of one key in this process share
 * one load. Fills go through tickets (see Cache.startFill), and an invalidation also
 * detaches the in-flight load of its keys, so a reader arriving after an acknowledged write
 * starts a fresh load instead of joining one that may have read the old row. Invalidations
 * made by other instances (Cache.onRemoteInvalidation) detach in-flight loads the same way.
 */
interface SharedLoad {
  read: Promise<CacheAsideRead<unknown>>;
  startedAt: number;
}

export interface CacheAsideOptions {
  /**
   * How long a load may be joined (ms): a reader arriving later starts its own, so a load
   * stuck on a hung connection cannot hold every reader of its key. The request deadline.
   */
  maxShareMs?: number;
}

export class CacheAside {
  readonly #cache: Cache;
  readonly #inFlight = new Map<string, SharedLoad>();
  readonly #maxShareMs: number;

  constructor(cache: Cache, options: CacheAsideOptions = {}) {
    this.#cache = cache;
    this.#maxShareMs = options.maxShareMs ?? 10_000;
    cache.onRemoteInvalidation?.((keys) => this.#detach(keys));
  }

  get cache(): Cache {
    return this.#cache;
  }

  /** Synchronous near-cache lookup for the hot path. */
  peek(key: string): CachedDocument | undefined {
    return this.#cache.peek(key);
  }

  read<T>(
    key: string,
    ttlSeconds: number,
    load: () => Promise<LoadResult<T>>,
  ): Promise<CacheAsideRead<T>> {
    const now = performance.now();
    const pending = this.#inFlight.get(key);
    if (pending !== undefined && now - pending.startedAt < this.#maxShareMs) {
      return pending.read as Promise<CacheAsideRead<T>>;
    }

    const shared: SharedLoad = { read: this.#loadThrough(key, ttlSeconds, load), startedAt: now };
    this.#inFlight.set(key, shared);
    const release = (): void => {
      if (this.#inFlight.get(key) === shared) this.#inFlight.delete(key);
    };
    shared.read.then(release, release);
    return shared.read as Promise<CacheAsideRead<T>>;
  }

  async invalidate(keys: readonly string[]): Promise<void> {
    this.#detach(keys);
    await this.#cache.invalidate(keys);
  }

  /** Later readers of these keys (null: of every key) start a fresh load. */
  #detach(keys: readonly string[] | null): void {
    if (keys === null) {
      this.#inFlight.clear();
      return;
    }
    for (const key of keys) this.#inFlight.delete(key);
  }

  async #loadThrough<T>(
    key: string,
    ttlSeconds: number,
    load: () => Promise<LoadResult<T>>,
  ): Promise<CacheAsideRead<T>> {
    let ticket: FillTicket;
    if (this.#cache.lookup !== undefined) {
      const found = await this.#cache.lookup(key);
      if (found.document !== undefined) {
        return { value: null, document: found.document, outcome: 'hit' };
      }
      ticket = found.ticket;
    } else {
      const shared = await this.#cache.get(key);
      if (shared !== undefined) return { value: null, document: shared, outcome: 'hit' };
      ticket = this.#cache.startFill(key);
    }

    let loaded: LoadResult<T>;
    try {
      loaded = await load();
    } catch (error) {
      this.#cache.abandonFill(ticket);
      throw error;
    }

    if (loaded.document === null) {
      this.#cache.abandonFill(ticket);
    } else {
      await this.#cache.completeFill(ticket, loaded.document, ttlSeconds);
    }
    return { value: loaded.value, document: loaded.document, outcome: 'miss' };
  }
}
