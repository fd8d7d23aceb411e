/**
 * Connection-pool and query counters that the workers update and the main thread reads at
 * scrape time, in one SharedArrayBuffer handed to every worker through `workerData`: no
 * message per query and no `stats` task, and the totals cover all workers at once.
 */
const SLOTS = {
  /** Connections checked out of the pools right now. */
  inUse: 0,
  /** Queries or transactions waiting for a connection right now. */
  waiting: 1,
  acquiredTotal: 2,
  /** Microseconds spent waiting for connections, summed. */
  acquireWaitMicros: 3,
  queriesTotal: 4,
  queryErrorsTotal: 5,
} as const;

export type DatabaseCounterName = keyof typeof SLOTS;

export class DatabaseCounters {
  readonly buffer: SharedArrayBuffer;
  readonly #values: BigInt64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(8 * Object.keys(SLOTS).length)) {
    this.buffer = buffer;
    this.#values = new BigInt64Array(buffer);
  }

  add(name: DatabaseCounterName, amount: number): void {
    Atomics.add(this.#values, SLOTS[name], BigInt(amount));
  }

  read(name: DatabaseCounterName): number {
    return Number(Atomics.load(this.#values, SLOTS[name]));
  }
}
