import type { RateDecision, RateLimitStore, RateQuota } from './rate-limit-store.js';

interface Window {
  count: number;
  closesAt: number;
}

export interface MemoryRateLimitStoreOptions {
  /** Subjects tracked at most; the oldest windows give way first (100 000). */
  maxSubjects?: number;
  now?: () => number;
}

/**
 * Fixed windows in a Map, for one process. Bounded: once full, closed windows are swept and,
 * if that is not enough, the oldest window is dropped (a subject that floods with new names
 * can only evict windows, never grow memory).
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, Window>();
  readonly #maxSubjects: number;
  readonly #now: () => number;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#maxSubjects = options.maxSubjects ?? 100_000;
    this.#now = options.now ?? Date.now;
  }

  /** The synchronous form of `consume`. */
  take(quota: RateQuota, subject: string): RateDecision {
    const key = `${quota.name}\n${subject}`;
    const now = this.#now();
    let window = this.#windows.get(key);
    if (window === undefined || window.closesAt <= now) {
      if (window !== undefined) this.#windows.delete(key);
      else this.#makeRoom(now);
      window = { count: 0, closesAt: now + quota.windowMs };
      this.#windows.set(key, window);
    }

    window.count++;
    return decide(quota, window.count, window.closesAt - now);
  }

  consume(quota: RateQuota, subject: string): Promise<RateDecision> {
    return Promise.resolve(this.take(quota, subject));
  }

  /** The synchronous form of `refund`. */
  give(quota: RateQuota, subject: string): void {
    const window = this.#windows.get(`${quota.name}\n${subject}`);
    if (window !== undefined && window.count > 0) window.count--;
  }

  refund(quota: RateQuota, subject: string): Promise<void> {
    this.give(quota, subject);
    return Promise.resolve();
  }

  /** Subjects with an open or not yet swept window. */
  get size(): number {
    return this.#windows.size;
  }

  close(): Promise<void> {
    this.#windows.clear();
    return Promise.resolve();
  }

  #makeRoom(now: number): void {
    if (this.#windows.size < this.#maxSubjects) return;

    for (const [key, window] of this.#windows) {
      if (window.closesAt <= now) this.#windows.delete(key);
    }
    // Map order is insertion order: the first key is the oldest window.
    while (this.#windows.size >= this.#maxSubjects) {
      const oldest = this.#windows.keys().next().value;
      if (oldest === undefined) break;
      this.#windows.delete(oldest);
    }
  }
}

/** The decision for a window that holds `count` units and closes in `resetMs`. */
export function decide(quota: RateQuota, count: number, resetMs: number): RateDecision {
  return {
    isAllowed: count <= quota.limit,
    remaining: Math.max(0, quota.limit - count),
    resetMs: Math.max(0, resetMs),
  };
}
