/**
 * COMMIT failed, so whether the transaction's writes are in the database is unknown (the
 * connection may have dropped after the server committed). Never retried: replaying the
 * transaction could apply it twice. The driver error is the `cause`.
 */
export class CommitOutcomeUnknownError extends Error {
  /**
   * What the transaction's work returned before COMMIT was sent: whatever it describes may
   * or may not be in the database, so a caller repairs what it can (the worker drops the
   * cache keys a write made stale, since it may have committed).
   */
  readonly result: unknown;

  constructor(cause: unknown, result?: unknown) {
    super('The outcome of a database commit is unknown', { cause });
    this.name = 'CommitOutcomeUnknownError';
    this.result = result;
  }
}
