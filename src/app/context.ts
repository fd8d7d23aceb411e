import type { Kysely } from 'kysely';

import type { DialectName } from '../db/dialect-name.js';
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

/** Everything a use case may touch: one per worker thread. */
export interface AppContext {
  db: Kysely<DatabaseSchema>;
  dialect: DialectName;
  passwords: PasswordHasher;
  tokens: TokenIssuer;
  /** The clock, injectable so tests can pin "now" for future-date rules. */
  now(): Date;
}
