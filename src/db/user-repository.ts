import { toDatabaseDate } from '../domain/dates.js';
import { normalizeEmail } from '../domain/rules.js';
import type { UserDocument } from '../domain/types.js';
import type { QueryContext } from './query-context.js';

/** A user with the stored password hash: never leaves the use case. */
export interface UserCredentials extends UserDocument {
  passwordHash: string;
}

export interface NewUser {
  username: string;
  email: string;
  passwordHash: string;
  createdAt: Date;
}

const USER_COLUMNS = ['id', 'username', 'email', 'password_hash'] as const;

export async function findUserByEmail(
  q: QueryContext,
  email: string,
): Promise<UserCredentials | null> {
  const row = await q.db
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();

  return row === undefined ? null : toCredentials(row);
}

export async function findUserById(
  q: QueryContext,
  userId: number,
): Promise<UserCredentials | null> {
  const row = await q.db
    .selectFrom('users')
    .select(USER_COLUMNS)
    .where('id', '=', userId)
    .executeTakeFirst();

  return row === undefined ? null : toCredentials(row);
}

export async function emailTaken(q: QueryContext, email: string): Promise<boolean> {
  const row = await q.db
    .selectFrom('users')
    .select('id')
    .where('email_normalized', '=', normalizeEmail(email))
    .executeTakeFirst();

  return row !== undefined;
}

export async function insertUser(q: QueryContext, user: NewUser): Promise<number> {
  const insert = q.db.insertInto('users').values({
    username: user.username,
    email: user.email,
    email_normalized: normalizeEmail(user.email),
    password_hash: user.passwordHash,
    created_at: toDatabaseDate(user.createdAt, q.dialect),
  });

  // SQL Server has no RETURNING; OUTPUT reports the generated id instead.
  const row =
    q.dialect === 'mssql'
      ? await insert.output('inserted.id').executeTakeFirstOrThrow()
      : await insert.returning('id').executeTakeFirstOrThrow();
  return row.id;
}

/**
 * Replaces the password hash only if it is still `expected`: a rehash at login or a
 * password change never overwrites a change that committed in between. False when the
 * hash had changed (or the user is gone).
 */
export async function replacePasswordHash(
  q: QueryContext,
  userId: number,
  expected: string,
  next: string,
): Promise<boolean> {
  const result = await q.db
    .updateTable('users')
    .set({ password_hash: next })
    .where('id', '=', userId)
    .where('password_hash', '=', expected)
    .executeTakeFirst();

  return result.numUpdatedRows > 0n;
}

function toCredentials(row: {
  id: number;
  username: string;
  email: string;
  password_hash: string;
}): UserCredentials {
  return { id: row.id, username: row.username, email: row.email, passwordHash: row.password_hash };
}
