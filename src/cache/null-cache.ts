import type { Cache, CachedDocument, CacheStats, FillTicket } from './cache.js';

/**
 * A cache that never stores (`CACHE_ENABLED=false`): every `peek` and `get` misses and every
 * fill is dropped, so each cached read runs its database read. Used to measure the miss path;
 * concurrent reads of one key still share one load (single-flight lives in CacheAside).
 */
export class NullCache implements Cache {
  #misses = 0;
  #invalidations = 0;

  peek(_key: string): CachedDocument | undefined {
    this.#misses++;
    return undefined;
  }

  get(_key: string): Promise<CachedDocument | undefined> {
    return Promise.resolve(undefined);
  }

  startFill(key: string): FillTicket {
    return { key, sequence: 0 };
  }

  completeFill(_ticket: FillTicket, _document: CachedDocument, _ttlSeconds: number): Promise<void> {
    return Promise.resolve();
  }

  abandonFill(_ticket: FillTicket): void {}

  invalidate(keys: readonly string[]): Promise<void> {
    this.#invalidations += keys.length;
    return Promise.resolve();
  }

  stats(): CacheStats {
    return {
      hits: 0,
      misses: this.#misses,
      fills: 0,
      droppedFills: 0,
      invalidations: this.#invalidations,
      entries: 0,
      bytes: 0,
    };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
