/** Closed: calls pass. Open: refused until the cool-down. Half-open: one probe runs. */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface CircuitBreakerOptions {
  /** Consecutive failures that open a closed breaker (3). */
  failureThreshold?: number;
  /** Time an open breaker waits before it lets one probe through (1000 ms). */
  coolDownMs?: number;
  now?: () => number;
  /** Told about every transition; the owner logs it. */
  onChange?: (state: BreakerState, previous: BreakerState, cause: unknown) => void;
}

/**
 * Stops a failing dependency from costing every request its timeout. Closed: requests pass
 * and consecutive failures are counted. Open: requests are refused until the cool-down has
 * passed. Half-open: one probe runs (its owner decides what proves recovery); success closes
 * the breaker, failure opens it for another cool-down.
 */
export class CircuitBreaker {
  readonly #failureThreshold: number;
  readonly #coolDownMs: number;
  readonly #now: () => number;
  readonly #onChange: CircuitBreakerOptions['onChange'];
  #state: BreakerState = 'closed';
  #failures = 0;
  #openedAt = 0;

  constructor(options: CircuitBreakerOptions = {}) {
    this.#failureThreshold = options.failureThreshold ?? 3;
    this.#coolDownMs = options.coolDownMs ?? 1000;
    this.#now = options.now ?? Date.now;
    this.#onChange = options.onChange;
  }

  get state(): BreakerState {
    return this.#state;
  }

  get isClosed(): boolean {
    return this.#state === 'closed';
  }

  /** True once an open breaker's cool-down has passed. */
  get isDueForProbe(): boolean {
    return this.#state === 'open' && this.#now() - this.#openedAt >= this.#coolDownMs;
  }

  recordSuccess(): void {
    if (this.#state === 'closed') this.#failures = 0;
  }

  recordFailure(cause: unknown): void {
    if (this.#state !== 'closed') return;

    this.#failures++;
    if (this.#failures >= this.#failureThreshold) this.#transition('open', cause);
  }

  /** Opens at once, whatever the count (a failure that must not be repeated). */
  trip(cause: unknown): void {
    if (this.#state === 'open') return;
    this.#transition('open', cause);
  }

  /** Moves an open breaker whose cool-down has passed to half-open; false otherwise. */
  tryHalfOpen(): boolean {
    if (!this.isDueForProbe) return false;

    this.#transition('half-open', null);
    return true;
  }

  /** The probe proved recovery. Ignored unless half-open (something tripped it meanwhile). */
  close(): void {
    if (this.#state === 'half-open') this.#transition('closed', null);
  }

  #transition(state: BreakerState, cause: unknown): void {
    const previous = this.#state;
    this.#state = state;
    this.#failures = 0;
    if (state === 'open') this.#openedAt = this.#now();
    this.#onChange?.(state, previous, cause);
  }
}
