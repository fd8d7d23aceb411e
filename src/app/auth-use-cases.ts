import { randomBytes } from 'node:crypto';

import {
  type UserCredentials,
  emailTaken,
  findUserByEmail,
  findUserById,
  insertUser,
  replacePasswordHash,
} from '../db/user-repository.js';
import type {
  ChangePasswordInput,
  LoginInput,
  RegisterInput,
  UserDocument,
} from '../domain/types.js';
import type { AppContext, PasswordHasher } from './context.js';
import { readWithRetry, violatedConstraint, writeWithRetry } from './database-work.js';
import { fail, notFound } from './fail.js';
import { type OperationResult, succeed } from './operation.js';

function toUser(user: UserCredentials): UserDocument {
  return { id: user.id, username: user.username, email: user.email };
}

function emailTakenFailure(): OperationResult {
  return fail('EMAIL_TAKEN', 'An account with this e-mail address already exists.', {
    email: ['is already registered'],
  });
}

/** One answer for an unknown e-mail and a wrong password, so neither can be told apart. */
function invalidCredentials(): OperationResult {
  return fail('INVALID_CREDENTIALS', 'The e-mail or password is not correct.');
}

/** POST /authentication/register: 201 with the user; 409 EMAIL_TAKEN, case-insensitively. */
export async function registerUser(
  ctx: AppContext,
  input: RegisterInput,
): Promise<OperationResult> {
  // Hashing is slow on purpose; it must not hold a transaction open.
  const passwordHash = await ctx.passwords.hash(input.password);

  try {
    return await writeWithRetry(ctx, async (q) => {
      if (await emailTaken(q, input.email)) {
        return emailTakenFailure();
      }

      const id = await insertUser(q, { ...input, passwordHash, createdAt: ctx.now() });
      return succeed(201, { id, username: input.username, email: input.email });
    });
  } catch (error) {
    // Two registrations raced past the check: the unique e-mail key decides.
    if (violatedConstraint(ctx, error) === 'unique_violation') {
      return emailTakenFailure();
    }

    throw error;
  }
}

/**
 * POST /authentication/login: 200 with a token. An unknown e-mail still costs one password
 * verification (against a dummy hash at the current cost), so the response time does not
 * reveal which e-mail addresses have accounts. A hash stored at a lower cost than today's
 * is replaced while the password is at hand.
 */
export async function login(ctx: AppContext, input: LoginInput): Promise<OperationResult> {
  const user = await readWithRetry(ctx, (q) => findUserByEmail(q, input.email));
  if (user === null) {
    await ctx.passwords.verify(input.password, await dummyHashFor(ctx.passwords));
    return invalidCredentials();
  }

  const check = await ctx.passwords.verify(input.password, user.passwordHash);
  if (!check.ok) {
    return invalidCredentials();
  }

  if (check.needsRehash) {
    await rehash(ctx, user, input.password);
  }

  return succeed(200, await ctx.tokens.issue(toUser(user)));
}

/** PUT /authentication/change-password: 204; 400 when the current password is wrong. */
export async function changePassword(
  ctx: AppContext,
  userId: number,
  input: ChangePasswordInput,
): Promise<OperationResult> {
  const user = await readWithRetry(ctx, (q) => findUserById(q, userId));
  if (user === null) {
    return notFound('User', userId);
  }

  const check = await ctx.passwords.verify(input.currentPassword, user.passwordHash);
  if (!check.ok) {
    return currentPasswordIncorrect();
  }

  const passwordHash = await ctx.passwords.hash(input.newPassword);
  return writeWithRetry(ctx, async (q) =>
    // Another change committed since we read the hash: the password just checked is no
    // longer the current one.
    (await replacePasswordHash(q, userId, user.passwordHash, passwordHash))
      ? succeed(204)
      : currentPasswordIncorrect(),
  );
}

/** GET /authentication/data: the signed-in user; 404 if the account was deleted since. */
export async function getUserData(ctx: AppContext, userId: number): Promise<OperationResult> {
  const user = await readWithRetry(ctx, (q) => findUserById(q, userId));
  return user === null ? notFound('User', userId) : succeed(200, toUser(user));
}

function currentPasswordIncorrect(): OperationResult {
  return fail('CURRENT_PASSWORD_INCORRECT', 'The current password is not correct.', {
    currentPassword: ['is not correct'],
  });
}

/**
 * Stores the password again at today's cost. Best effort: the login already succeeded, and
 * a failure here only means the next login tries again.
 */
async function rehash(ctx: AppContext, user: UserCredentials, password: string): Promise<void> {
  try {
    const passwordHash = await ctx.passwords.hash(password);
    await writeWithRetry(ctx, async (q) => {
      await replacePasswordHash(q, user.id, user.passwordHash, passwordHash);
      return succeed(204);
    });
  } catch {
    // Deliberately ignored, see above.
  }
}

const dummyHashes = new WeakMap<PasswordHasher, Promise<string>>();

/**
 * A hash of a random password at the hasher's current cost, made once per hasher.
 * Limitation: the first unknown-e-mail login after start also pays for making it (one
 * extra hash); precomputing it at start-up would remove that one slower answer.
 */
function dummyHashFor(passwords: PasswordHasher): Promise<string> {
  let dummy = dummyHashes.get(passwords);
  if (dummy === undefined) {
    dummy = passwords.hash(randomBytes(16).toString('base64'));
    void dummy.catch(() => dummyHashes.delete(passwords));
    dummyHashes.set(passwords, dummy);
  }

  return dummy;
}
