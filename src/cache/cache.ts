import type { BreakerState } from '../domain/circuit-breaker.js';

/** A cached response document: the exact bytes to send and their entity tag. */
export interface CachedDocument {
  body: Buffer;
  etag: string;
}

/**
 * Proof that a fill started at a known moment. A fill whose ticket predates an invalidation
 * of the same key is dropped, so a read that raced a write can never store the old value.
 */
export interface FillTicket {
  key: string;
  sequence: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  fills: number;
  droppedFills: number;
  invalidations: number;
  entries: number;
  bytes: number;
  /** The shared level behind the in-process one (Redis), when there is one. */
  shared?: SharedLevelStats;
}

export type { BreakerState };

/** Counters of the shared level since start, for the metrics endpoint. */
export interface SharedLevelStats {
  hits: number;
  misses: number;
  /** Fills stored, and fills refused because the key changed after their ticket. */
  fills: number;
  rejectedFills: number;
  /** Keys invalidated, and those that could not be confirmed (made harmless by a new epoch). */
  invalidations: number;
  missedInvalidations: number;
  /** Stored values that did not decode (foreign or corrupt), served as misses. */
  corruptValues: number;
  /** Commands that failed or timed out. */
  errors: number;
  /** Reads and fills that skipped the shared level (breaker open, or not in sync yet). */
  skipped: number;
  epochReplacements: number;
  breaker: BreakerState;
  /** The shared epoch in use; null while unknown (the shared level is then not read). */
  epoch: string | null;
  /** Whether the invalidation channel is subscribed and proven by heartbeats. */
  isChannelUp: boolean;
}

/** The outcome of `Cache.lookup`: a document from the shared level, or a ticket to fill it. */
export type SharedLookup =
  { document: CachedDocument; ticket?: undefined } | { document?: undefined; ticket: FillTicket };

/** Told about keys made stale elsewhere (another instance), or null when any key may be. */
export type RemoteInvalidationListener = (keys: readonly string[] | null) => void;

/**
 * Cache-aside storage for response documents, in up to two levels. `peek` reads the
 * in-process level synchronously, so a near-cache hit is answered without a promise; `get`
 * reads the level behind it (Redis), for callers whose `peek` missed.
 */
export interface Cache {
  peek(key: string): CachedDocument | undefined;
  get(key: string): Promise<CachedDocument | undefined>;
  startFill(key: string): FillTicket;
  /** Stores the document unless the key was invalidated after the ticket was taken. */
  completeFill(ticket: FillTicket, document: CachedDocument, ttlSeconds: number): Promise<void>;
  /** Releases a ticket whose read produced nothing to store (error, 404). */
  abandonFill(ticket: FillTicket): void;
  invalidate(keys: readonly string[]): Promise<void>;
  stats(): CacheStats;
  close(): Promise<void>;
  /**
   * Optional: `get` and `startFill` in one step. A cache whose shared level must check fills
   * (version tokens) implements it, so the ticket carries what that level saw on the miss.
   * CacheAside prefers it to `get` followed by `startFill`.
   */
  lookup?(key: string): Promise<SharedLookup>;
  /** Optional: lets the owner of in-flight loads drop them when another instance writes. */
  onRemoteInvalidation?(listener: RemoteInvalidationListener): void;
}
