/**
 * COMMIT failed, so whether the transaction's writes are in the database is unknown (the
 * connection may have dropped after the server committed). Never retried: replaying the
 * transaction could apply it twice. The driver error is the `cause`.
 */
export class CommitOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super('The outcome of a database commit is unknown', { cause });
    this.name = 'CommitOutcomeUnknownError';
  }
}
