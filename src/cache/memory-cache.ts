import type { Cache, CachedDocument, CacheStats, FillTicket } from './cache.js';

interface Entry {
  document: CachedDocument;
  expiresAt: number;
  size: number;
  /** Set on a hit; eviction gives a referenced entry a second chance (CLOCK). */
  isReferenced: boolean;
}

/** Per-entry bookkeeping overhead counted against the byte budget. */
const ENTRY_OVERHEAD_BYTES = 96;

/**
 * The in-process cache: bounded by bytes, entries expire by TTL, eviction by second chance.
 * A hit only sets a flag instead of reordering the map, because hits are the hot path.
 */
export class MemoryCache implements Cache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;
  #stats = { hits: 0, misses: 0, fills: 0, droppedFills: 0, invalidations: 0 };

  /**
   * Invalidation sequence numbers of keys invalidated while fills were pending. A ticket is
   * the sequence at the start of its read; a key invalidated later has a larger number.
   * Entries no pending ticket can be older than are pruned (see #releaseTicket), so the map
   * stays as small as the writes that raced fills in flight, even under constant load.
   */
  readonly #invalidatedAt = new Map<string, number>();
  /**
   * Pending tickets by sequence. Sequences only grow and new ones are appended, so the first
   * key is the oldest pending ticket.
   */
  readonly #pending = new Map<number, number>();
  /** #invalidatedAt's size after the last prune; the next prune waits until it doubles. */
  #prunedSize = 0;
  #sequence = 0;
  /** The sequence of the last `clear`: tickets taken before it are all stale. */
  #clearedAt = 0;

  constructor(options: { maxBytes: number; now?: () => number }) {
    this.#maxBytes = options.maxBytes;
    this.#now = options.now ?? Date.now;
  }

  peek(key: string): CachedDocument | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      this.#stats.misses++;
      return undefined;
    }
    if (entry.expiresAt <= this.#now()) {
      this.#remove(key, entry);
      this.#stats.misses++;
      return undefined;
    }

    entry.isReferenced = true;
    this.#stats.hits++;
    return entry.document;
  }

  /** There is no level behind this one: a miss in `peek` is final. */
  get(_key: string): Promise<CachedDocument | undefined> {
    return Promise.resolve(undefined);
  }

  startFill(key: string): FillTicket {
    const sequence = this.#sequence;
    this.#pending.set(sequence, (this.#pending.get(sequence) ?? 0) + 1);
    return { key, sequence };
  }

  completeFill(ticket: FillTicket, document: CachedDocument, ttlSeconds: number): Promise<void> {
    const invalidatedAt = this.#invalidatedAt.get(ticket.key);
    const isStale =
      ticket.sequence < this.#clearedAt ||
      (invalidatedAt !== undefined && invalidatedAt > ticket.sequence);
    if (isStale) {
      this.#stats.droppedFills++;
    } else {
      this.set(ticket.key, document, ttlSeconds);
      this.#stats.fills++;
    }
    this.abandonFill(ticket);
    return Promise.resolve();
  }

  abandonFill(ticket: FillTicket): void {
    const count = this.#pending.get(ticket.sequence);
    if (count === undefined) return;
    if (count > 1) {
      this.#pending.set(ticket.sequence, count - 1);
      return;
    }

    this.#pending.delete(ticket.sequence);
    this.#pruneInvalidations();
  }

  /** Stores a document unconditionally (no race to guard: used by fills and by tests). */
  set(key: string, document: CachedDocument, ttlSeconds: number): void {
    const size = document.body.byteLength + key.length * 2 + ENTRY_OVERHEAD_BYTES;
    if (size > this.#maxBytes) return;

    const previous = this.#entries.get(key);
    if (previous !== undefined) this.#remove(key, previous);

    this.#entries.set(key, {
      document,
      expiresAt: this.#now() + ttlSeconds * 1000,
      size,
      isReferenced: false,
    });
    this.#bytes += size;
    this.#evictOverBudget();
  }

  invalidate(keys: readonly string[]): Promise<void> {
    this.invalidateNow(keys);
    return Promise.resolve();
  }

  /** Synchronous invalidation, for callers that must not yield between steps. */
  invalidateNow(keys: readonly string[]): void {
    this.#sequence++;
    for (const key of keys) {
      const entry = this.#entries.get(key);
      if (entry !== undefined) this.#remove(key, entry);
      if (this.#pending.size > 0) this.#invalidatedAt.set(key, this.#sequence);
      this.#stats.invalidations++;
    }
  }

  /**
   * Drops everything (a shared level's epoch changed, or tests), including the fills in
   * flight: a ticket taken before the clear is refused like one older than an invalidation.
   */
  clear(): void {
    this.#sequence++;
    this.#clearedAt = this.#sequence;
    this.#entries.clear();
    this.#bytes = 0;
  }

  /** Invalidations remembered against fills in flight (bounded by pruning; for tests). */
  get trackedInvalidations(): number {
    return this.#invalidatedAt.size;
  }

  stats(): CacheStats {
    return { ...this.#stats, entries: this.#entries.size, bytes: this.#bytes };
  }

  close(): Promise<void> {
    this.clear();
    return Promise.resolve();
  }

  /**
   * An invalidation at or before the oldest pending ticket's sequence can refuse no fill in
   * flight, so it is forgotten. Pruning walks the map, hence waits until it has doubled.
   */
  #pruneInvalidations(): void {
    const oldest = this.#pending.keys().next();
    if (oldest.done === true) {
      this.#invalidatedAt.clear();
      this.#prunedSize = 0;
      return;
    }
    if (this.#invalidatedAt.size < Math.max(256, this.#prunedSize * 2)) return;

    for (const [key, sequence] of this.#invalidatedAt) {
      if (sequence <= oldest.value) this.#invalidatedAt.delete(key);
    }
    this.#prunedSize = this.#invalidatedAt.size;
  }

  #remove(key: string, entry: Entry): void {
    this.#entries.delete(key);
    this.#bytes -= entry.size;
  }

  #evictOverBudget(): void {
    // Second chance: a referenced entry at the head moves to the tail once; the first
    // unreferenced one goes. Bounded by two passes over the map.
    let budget = this.#entries.size * 2;
    while (this.#bytes > this.#maxBytes && budget-- > 0) {
      const oldest = this.#entries.entries().next();
      if (oldest.done === true) return;

      const [key, entry] = oldest.value;
      this.#entries.delete(key);
      if (entry.isReferenced) {
        entry.isReferenced = false;
        this.#entries.set(key, entry);
      } else {
        this.#bytes -= entry.size;
      }
    }
  }
}
