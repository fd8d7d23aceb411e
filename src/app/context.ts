import type { Kysely } from 'kysely';

import type { DialectName } from '../db/dialect-name.js';
import type { IdempotencyKeyRef } from '../db/idempotency-repository.js';
import type { DatabaseSchema } from '../db/schema.js';
import type { LoginResult, UserDocument } from '../domain/types.js';

/** Hashes and checks passwords; the stored string carries its own parameters. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  /** `needsRehash`: the password matched, but was stored at a lower cost than today's. */
  verify(password: string, stored: string): Promise<{ ok: boolean; needsRehash: boolean }>;
}

/** Issues the access token a successful login answers with. */
export interface TokenIssuer {
  issue(user: UserDocument): Promise<LoginResult>;
}

/** An Idempotency-Key in force for one task: where its record lives, and the request hash. */
export interface IdempotencyScope extends IdempotencyKeyRef {
  /** SHA-256 (hex) of the operation, path ids and canonical body (see request-hash.ts). */
  requestHash: string;
}

/**
 * Everything a use case may touch: one per worker thread, and a per-task copy of it when the
 * task carries an Idempotency-Key.
 */
export interface AppContext {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  passwords: PasswordHasher;
  tokens: TokenIssuer;
  /** The clock, injectable so tests can pin "now" for future-date rules. */
  now(): Date;
  /**
   * Set on the per-task copy when the request sent an Idempotency-Key: writeWithRetry then
   * records a successful result with the write, and answers a retry from that record.
   */
  idempotency?: IdempotencyScope;
  /** Set on the per-task copy: epoch ms after which retries stop (the request's deadline). */
  deadlineAt?: number;
}
