/**
 * Inserting an idempotency record broke its primary key: a concurrent request with the same
 * user, operation and key committed its record first. A type of its own, so the use case's
 * own constraint handling (an e-mail or registration key) never mistakes it for theirs. The
 * driver error is the `cause`.
 */
export class IdempotencyKeyTakenError extends Error {
  constructor(cause: unknown) {
    super('A concurrent request recorded this idempotency key first', { cause });
    this.name = 'IdempotencyKeyTakenError';
  }
}
