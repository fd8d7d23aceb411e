import { findEventDocument } from '../db/event-documents.js';
import { findEventState } from '../db/event-repository.js';
import { participantExists } from '../db/participant-repository.js';
import type { QueryContext } from '../db/query-context.js';
import {
  insertRegistration,
  isRegistered,
  lowestFreeSeat,
  seatUsage,
} from '../db/registration-repository.js';
import { lockRow } from '../db/row-lock.js';
import { eventKey } from '../domain/cache-keys.js';
import { isEventFull } from '../domain/rules.js';
import type { AppContext } from './context.js';
import { readWithRetry, violatedConstraint, writeWithRetry } from './database-work.js';
import { fail, notFound } from './fail.js';
import { type OperationResult, succeed } from './operation.js';

/** Rounds of "a constraint fired although the checks passed" before giving up. */
const MAX_CONSTRAINT_ROUNDS = 3;

/**
 * POST /participant/{eventId}/participant/{participantId}: 200 with the event, also when
 * the participant was already registered; 409 EVENT_FULL when every seat is taken.
 *
 * The event's row lock serialises registrations to one event, so the count read under it
 * is exact. The database enforces the outcome regardless (seat constraints, primary key);
 * should one of them fire anyway, the answer is decided from what the database then holds.
 */
export async function registerParticipant(
  ctx: AppContext,
  eventId: number,
  participantId: number,
): Promise<OperationResult> {
  for (let round = 1; ; round++) {
    try {
      return await writeWithRetry(ctx, (q) => registerOnce(q, ctx.now(), eventId, participantId));
    } catch (error) {
      if (violatedConstraint(ctx, error) === null) {
        throw error;
      }

      const outcome = await readWithRetry(ctx, (q) => settledOutcome(q, eventId, participantId));
      // Under an Idempotency-Key a success must be recorded, which only a write transaction
      // does: the next round finds the registration and records it with its answer. After
      // the last round it goes out unrecorded; a retry then finds the participant registered.
      const mustRecord = outcome?.ok === true && ctx.idempotency !== undefined;
      if (outcome !== null && (!mustRecord || round >= MAX_CONSTRAINT_ROUNDS)) {
        return outcome;
      }

      if (round >= MAX_CONSTRAINT_ROUNDS) {
        throw error;
      }
    }
  }
}

async function registerOnce(
  q: QueryContext,
  now: Date,
  eventId: number,
  participantId: number,
): Promise<OperationResult> {
  const event = (await lockRow(q, 'events', eventId)) ? await findEventState(q, eventId) : null;
  if (event === null) {
    return notFound('Event', eventId);
  }

  if (!(await participantExists(q, participantId))) {
    return notFound('Participant', participantId);
  }

  if (await isRegistered(q, eventId, participantId)) {
    return registered(q, eventId);
  }

  const usage = await seatUsage(q, eventId);
  if (isEventFull(usage.count, event.seatLimit)) {
    return eventFull(eventId);
  }

  await insertRegistration(q, {
    eventId,
    participantId,
    seat: await lowestFreeSeat(q, eventId, usage),
    seatLimit: event.seatLimit,
    registeredAt: now,
  });

  return registered(q, eventId);
}

/**
 * After a constraint fired: the participant is registered (a concurrent request won, so
 * this one is the idempotent repeat), or the event or participant is gone, or the event is
 * full. Null when none of these holds (a seat number was taken concurrently): try again.
 */
async function settledOutcome(
  q: QueryContext,
  eventId: number,
  participantId: number,
): Promise<OperationResult | null> {
  const event = await findEventState(q, eventId);
  if (event === null) {
    return notFound('Event', eventId);
  }

  if (!(await participantExists(q, participantId))) {
    return notFound('Participant', participantId);
  }

  if (await isRegistered(q, eventId, participantId)) {
    return registered(q, eventId);
  }

  const usage = await seatUsage(q, eventId);
  return isEventFull(usage.count, event.seatLimit) ? eventFull(eventId) : null;
}

async function registered(q: QueryContext, eventId: number): Promise<OperationResult> {
  const event = await findEventDocument(q, eventId);
  return succeed(200, event, { invalidate: [eventKey(eventId)] });
}

function eventFull(eventId: number): OperationResult {
  return fail('EVENT_FULL', `Event ${eventId} has no free seat.`);
}
