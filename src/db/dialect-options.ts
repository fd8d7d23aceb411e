import type { BreakerState } from '../domain/circuit-breaker.js';

/** What every dialect builder (sqlite/, postgres/, mssql/ dialect.ts) receives. */
export interface DialectOptions {
  /** Most connections the pool opens (SQLite ignores it: one connection per handle). */
  poolSize: number;
  /**
   * Told about connection errors that no query is waiting for (an idle pooled connection
   * killed by the server). Such errors must never reach an unhandled 'error' event, which
   * would crash the process; the pool replaces the connection on next use.
   */
  onConnectionError: (err: unknown) => void;
  /**
   * Told when the breaker in front of new connections opens, half-opens or closes
   * (PostgreSQL); the owner logs it.
   */
  onBreakerChange?: (state: BreakerState, previous: BreakerState, cause: unknown) => void;
}
