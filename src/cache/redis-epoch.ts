import type { Logger } from '../telemetry/logger.js';
import { withDeadline } from './deadline.js';
import { EPOCH_CHANNEL, EPOCH_KEY } from './redis-keys.js';
import type { ScriptedClient } from './redis-scripts.js';

export interface RedisEpochOptions {
  client: ScriptedClient;
  instanceId: string;
  timeoutMs: number;
  log: Logger;
  /** Whether commands may be sent now (the breaker is closed). */
  canSend: () => boolean;
  /** The epoch in use changed to a different value. */
  onChange: () => void;
  onFailure: (error: unknown) => void;
}

/**
 * The shared epoch: a unique string stored at EPOCH_KEY and written into every envelope. A
 * reader serves a value only if its epoch is the current one, so replacing the epoch retires
 * every stored value at once. That is how invalidations that never reached Redis (outage,
 * breaker open, unconfirmed command) are made harmless: the instance that missed them
 * replaces the epoch before it reads Redis again, and every value stored before then, the
 * stale ones included, stops being served.
 *
 * An instance uses an epoch only while its invalidation channel is subscribed, and only one
 * it read after subscribing (or set itself): a replacement before the subscription is seen
 * by that read, one after it arrives as a message. While unknown, Redis is not read.
 */
export class RedisEpoch {
  readonly #options: RedisEpochOptions;
  #current: string | null = null;
  #lastKnown: string | null = null;
  #isChannelReady = false;
  /** Advanced whenever what we know is void; replies to older requests are dropped. */
  #generation = 0;
  #refreshingGeneration = -1;
  #needsReplacement = false;
  /**
   * The channel went down after an epoch was known. A Redis restarted from a snapshot (RDB
   * or AOF) holds values that invalidations confirmed since the snapshot had deleted, under
   * the epoch and versions they were stored with, so an unchanged epoch proves nothing.
   */
  #wasInterrupted = false;
  #missedCount = 0;
  #replacements = 0;
  #counter = 0;

  constructor(options: RedisEpochOptions) {
    this.#options = options;
  }

  /** The epoch to read and fill under; null while unknown. */
  get current(): string | null {
    return this.#current;
  }

  /** True after a missed invalidation until a replacement covering it succeeded. */
  get needsReplacement(): boolean {
    return this.#needsReplacement;
  }

  get replacements(): number {
    return this.#replacements;
  }

  /** The channel was (re)subscribed, or lost: either way what we knew may be outdated. */
  setChannelReady(isReady: boolean): void {
    if (!isReady && this.#lastKnown !== null) this.#wasInterrupted = true;
    this.#isChannelReady = isReady;
    this.forget();
  }

  /** Another instance announced a replacement: stop using ours and read the new one. */
  forget(): void {
    this.#current = null;
    this.#generation++;
    this.refreshIfNeeded();
  }

  refreshIfNeeded(): void {
    if (!this.#isChannelReady || this.#current !== null) return;
    if (this.#refreshingGeneration === this.#generation || !this.#options.canSend()) return;

    void this.#refresh();
  }

  requireReplacement(): void {
    this.#needsReplacement = true;
    this.#missedCount++;
  }

  /** Writes a new epoch and announces it. Throws when Redis does not confirm it. */
  async replace(): Promise<void> {
    const { client, instanceId, timeoutMs, log } = this.#options;
    const missedCount = this.#missedCount;
    const generation = ++this.#generation;
    const epoch = this.#newEpoch();

    await withDeadline(
      client.eventflowCacheReplaceEpoch(EPOCH_KEY, epoch, EPOCH_CHANNEL, `${instanceId} ${epoch}`),
      timeoutMs,
    );
    this.#replacements++;
    log.info({ epoch }, 'redis cache epoch replaced');

    // Only invalidations missed before the replacement started are covered by it.
    if (missedCount === this.#missedCount) this.#needsReplacement = false;
    if (generation === this.#generation && this.#isChannelReady) this.#adopt(epoch);
  }

  async #refresh(): Promise<void> {
    const generation = this.#generation;
    this.#refreshingGeneration = generation;
    try {
      const epoch = await withDeadline(
        this.#options.client.eventflowCacheEpoch(EPOCH_KEY, this.#newEpoch()),
        this.#options.timeoutMs,
      );
      if (typeof epoch !== 'string') throw new TypeError('the epoch is not a string');
      if (generation !== this.#generation || !this.#isChannelReady) return;

      if (this.#wasInterrupted && epoch === this.#lastKnown) {
        // Nobody replaced it while we were away: maybe nothing happened, maybe Redis came
        // back from a snapshot. Replacing costs one miss per key; serving a restored value
        // would be stale. The first instance back replaces it; the others then see a new one.
        await this.replace();
      } else {
        this.#adopt(epoch);
      }
      this.#wasInterrupted = false;
    } catch (error) {
      this.#options.onFailure(error);
    } finally {
      if (this.#refreshingGeneration === generation) this.#refreshingGeneration = -1;
    }
  }

  #adopt(epoch: string): void {
    const previous = this.#lastKnown;
    this.#current = epoch;
    this.#lastKnown = epoch;
    if (previous !== null && previous !== epoch) this.#options.onChange();
  }

  #newEpoch(): string {
    this.#counter++;
    return `${this.#options.instanceId}.e${this.#counter.toString(36)}`;
  }
}
