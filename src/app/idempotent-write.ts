import {
  type IdempotencyRecord,
  deleteExpiredIdempotencyRecord,
  findIdempotencyRecord,
  insertIdempotencyRecord,
} from '../db/idempotency-repository.js';
import type { QueryContext } from '../db/query-context.js';
import type { IdempotencyScope } from './context.js';
import { fail } from './fail.js';
import type { OperationInput, OperationName, OperationResult, Success } from './operation.js';
import { requestHash } from './request-hash.js';

/** How long a key's first answer is kept and replayed: 24 hours. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

const SUCCESS_STATUSES: readonly Success['status'][] = [200, 201, 204];

/**
 * The scope of a task's Idempotency-Key, or null without one. A key counts only for an
 * authenticated user: every route that honours one is protected, so the user scopes it.
 */
export function idempotencyScopeOf(
  operation: OperationName,
  input: OperationInput,
): IdempotencyScope | null {
  if (input.idempotencyKey === undefined || input.userId === undefined) return null;

  return {
    userId: input.userId,
    operation,
    key: input.idempotencyKey,
    requestHash: requestHash(operation, input),
  };
}

/** Whether a record is still answered from (it expires at `expiresAt`, exclusive). */
export function isLive(record: IdempotencyRecord, now: Date): boolean {
  return record.expiresAt.getTime() > now.getTime();
}

/**
 * Runs `work` inside the caller's transaction under an Idempotency-Key:
 * 1. a live record of the key answers instead of the work (a replay, or 422 when the
 *    request differs); an expired one is deleted and the key starts afresh;
 * 2. otherwise the work runs, and a successful result is recorded in the same transaction,
 *    so its commit stores both or neither.
 * Failures are not recorded: they changed nothing, so running them again is harmless, and a
 * client may fix what failed (create the missing organizer) and retry with the same key.
 * A concurrent request that recorded the key first makes the insert throw
 * IdempotencyKeyTakenError, which rolls this transaction back.
 */
export async function runRecorded(
  q: QueryContext,
  scope: IdempotencyScope,
  now: Date,
  work: (q: QueryContext) => Promise<OperationResult>,
): Promise<OperationResult> {
  const prior = await findIdempotencyRecord(q, scope);
  if (prior !== null) {
    if (isLive(prior, now)) return answerFromRecord(prior, scope);

    await deleteExpiredIdempotencyRecord(q, scope, now);
  }

  const result = await work(q);
  if (!result.ok) return result;

  const bodyText = result.value === undefined ? null : JSON.stringify(result.value);
  await insertIdempotencyRecord(q, scope, {
    requestHash: scope.requestHash,
    status: result.status,
    responseBody: bodyText,
    location: result.location ?? null,
    invalidate: result.invalidate,
    createdAt: now,
    expiresAt: new Date(now.getTime() + IDEMPOTENCY_TTL_MS),
  });

  return { ...result, bodyText };
}

/**
 * The answer a live record gives: the first response again (status, body text, Location,
 * and its cache keys, dropped once more in case the first reply, and so its invalidation,
 * was lost), or 422 IDEMPOTENCY_KEY_REUSED when this request is not the one recorded.
 */
export function answerFromRecord(
  record: IdempotencyRecord,
  scope: IdempotencyScope,
): OperationResult {
  if (record.requestHash !== scope.requestHash) {
    return fail(
      'IDEMPOTENCY_KEY_REUSED',
      'This Idempotency-Key was already used with a different request; send a new key for a new request.',
    );
  }

  const status = SUCCESS_STATUSES.find((candidate) => candidate === record.status);
  if (status === undefined) {
    throw new Error(`An idempotency record holds the status ${record.status}`);
  }

  const replay: Success = {
    ok: true,
    status,
    bodyText: record.responseBody,
    invalidate: record.invalidate,
    isReplay: true,
  };
  if (record.location !== null) replay.location = record.location;
  return replay;
}
