export interface HashingGateOptions {
  /** Password hashes allowed to run at once (one per worker thread by default). */
  concurrency: number;
  /** Requests allowed to wait for a turn; beyond it they are refused at once. */
  queueLimit: number;
}

/** Gives the turn back; calling it twice is harmless. */
export type Release = () => void;

/**
 * Admits password-hashing requests (login, register, change-password) to the worker pool a
 * few at a time. scrypt at OWASP cost takes about 0.1-0.3 s of CPU and 128 MiB per hash; if
 * a login flood reached the pool unchecked, its tasks would queue ahead of every database
 * read and the memory would add up. Through the gate at most `concurrency` hashes share the
 * pool with other work, `queueLimit` wait their turn in order, and the rest are refused at
 * once (the server answers 503 with Retry-After).
 */
export class HashingGate {
  readonly #concurrency: number;
  readonly #queueLimit: number;
  readonly #waiting: ((release: Release) => void)[] = [];
  #running = 0;

  constructor(options: HashingGateOptions) {
    this.#concurrency = options.concurrency;
    this.#queueLimit = options.queueLimit;
  }

  /** A turn (now or once one frees up), or null when the queue is full. */
  enter(): Promise<Release> | null {
    if (this.#running < this.#concurrency) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.#queueLimit) return null;

    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Hashes running now. */
  get running(): number {
    return this.#running;
  }

  /** Requests waiting for a turn. */
  get queued(): number {
    return this.#waiting.length;
  }

  #releaser(): Release {
    let isReleased = false;
    return () => {
      if (isReleased) return;
      isReleased = true;
      // The turn passes straight to the next waiter, so `running` never drops and rises again.
      const next = this.#waiting.shift();
      if (next === undefined) this.#running--;
      else next(this.#releaser());
    };
  }
}
