import type { SamplingConfig } from './telemetry-config.js';

/**
 * Decides which cache hits are traced: each with probability `hitRatio`, plus one whenever
 * none was traced for 1/`hitFloorPerSecond` seconds, so a quiet service (or a demo's second
 * GET) still shows hit traces at a low ratio. Misses, writes, errors and slow requests never
 * ask: they are always traced.
 */
export class HitSampler {
  readonly #ratio: number;
  /** Milliseconds between floor traces; 0 when there is no floor. */
  readonly #floorIntervalMs: number;
  #lastTracedAt = 0;

  constructor(config: SamplingConfig) {
    this.#ratio = config.hitRatio;
    this.#floorIntervalMs = config.hitFloorPerSecond > 0 ? 1000 / config.hitFloorPerSecond : 0;
  }

  /** `now` is a performance.now() reading the caller already has. */
  shouldTrace(now: number): boolean {
    const isChosen =
      this.#ratio >= 1 ||
      Math.random() < this.#ratio ||
      (this.#floorIntervalMs > 0 && now - this.#lastTracedAt >= this.#floorIntervalMs);
    if (isChosen) this.#lastTracedAt = now;
    return isChosen;
  }
}
