import { findEventDocument, listEventDocuments } from '../db/event-documents.js';
import {
  type EventValues,
  deleteEvent as deleteEventRow,
  findEventState,
  insertEvent,
  speakerIdsOfEvent,
  updateEvent as updateEventRow,
} from '../db/event-repository.js';
import { organizerExists } from '../db/organizer-repository.js';
import { compactSeats, seatUsage } from '../db/registration-repository.js';
import { lockRow } from '../db/row-lock.js';
import { SEAT_LIMIT_UNLIMITED } from '../db/schema.js';
import { STATISTICS_KEY, eventKey, organizerKey, speakerKey } from '../domain/cache-keys.js';
import { checkFutureDate, readEventDate } from '../domain/rules.js';
import type { EventInput, EventSort, ListQuery } from '../domain/types.js';
import type { AppContext } from './context.js';
import { readWithRetry, uniqueKeys, violatedConstraint, writeWithRetry } from './database-work.js';
import { fail, failWith, notFound } from './fail.js';
import { type OperationResult, succeed } from './operation.js';
import { listed } from './operation-input.js';

function organizerNotFound(organizerId: number): OperationResult {
  return fail('ORGANIZER_NOT_FOUND', `Organizer ${organizerId} does not exist.`, {
    organizerId: ['does not refer to an existing organizer'],
  });
}

function toEventValues(input: EventInput, startsAt: Date): EventValues {
  return {
    title: input.title,
    description: input.description ?? null,
    startsAt,
    location: input.location,
    category: input.category ?? null,
    capacity: input.capacity ?? null,
    organizerId: input.organizerId,
  };
}

/** POST /event: 201 with the event; 400 for a past date; 422 for an unknown organizer. */
export async function createEvent(ctx: AppContext, input: EventInput): Promise<OperationResult> {
  const startsAt = readEventDate(input.date);
  if (!(startsAt instanceof Date)) {
    return failWith(startsAt);
  }

  const pastDate = checkFutureDate(startsAt, ctx.now());
  if (pastDate !== null) {
    return failWith(pastDate);
  }

  try {
    return await writeWithRetry(ctx, async (q) => {
      // The insert's foreign-key check waits for an organizer locked by an update or a
      // delete, so their invalidation sets see this event (see row-lock.ts).
      if (!(await organizerExists(q, input.organizerId))) {
        return organizerNotFound(input.organizerId);
      }

      const id = await insertEvent(q, toEventValues(input, startsAt));
      const event = await findEventDocument(q, id);

      return succeed(201, event, {
        location: `/event/${id}`,
        invalidate: [organizerKey(input.organizerId), STATISTICS_KEY],
      });
    });
  } catch (error) {
    // The organizer went away between the check and the insert (foreign key backstop).
    if (violatedConstraint(ctx, error) === 'foreign_key_violation') {
      return organizerNotFound(input.organizerId);
    }

    throw error;
  }
}

/**
 * PUT /event/update/{id}: full replacement. The date must be in the future only if it
 * changes. Lowering the capacity below the registered count is refused; otherwise seats are
 * renumbered 1..n first when some seat lies above the new limit, so the seat constraints
 * hold when seat_limit cascades to the registrations.
 */
export async function updateEvent(
  ctx: AppContext,
  eventId: number,
  input: EventInput,
): Promise<OperationResult> {
  const startsAt = readEventDate(input.date);
  if (!(startsAt instanceof Date)) {
    return failWith(startsAt);
  }

  try {
    return await writeWithRetry(ctx, async (q) => {
      const state = (await lockRow(q, 'events', eventId)) ? await findEventState(q, eventId) : null;
      if (state === null) {
        return notFound('Event', eventId);
      }

      const pastDate = checkFutureDate(startsAt, ctx.now(), state.startsAt);
      if (pastDate !== null) {
        return failWith(pastDate);
      }

      if (!(await organizerExists(q, input.organizerId))) {
        return organizerNotFound(input.organizerId);
      }

      const capacity = input.capacity ?? null;
      const usage = await seatUsage(q, eventId);
      if (capacity !== null && usage.count > capacity) {
        return fail(
          'CAPACITY_BELOW_REGISTRATIONS',
          `The event has ${usage.count} registered participants; the capacity cannot be ${capacity}.`,
          { capacity: [`must be at least ${usage.count}`] },
        );
      }

      if (usage.highest > (capacity ?? SEAT_LIMIT_UNLIMITED)) {
        await compactSeats(q, eventId);
      }

      await updateEventRow(q, eventId, toEventValues(input, startsAt));
      const speakerIds = await speakerIdsOfEvent(q, eventId);
      const event = await findEventDocument(q, eventId);

      return succeed(200, event, {
        invalidate: uniqueKeys([
          eventKey(eventId),
          organizerKey(state.organizerId),
          organizerKey(input.organizerId),
          ...speakerIds.map(speakerKey),
        ]),
      });
    });
  } catch (error) {
    if (violatedConstraint(ctx, error) === 'foreign_key_violation') {
      return organizerNotFound(input.organizerId);
    }

    throw error;
  }
}

/** DELETE /event/delete/{id}: 204; its registrations and speaker links go with it. */
export function deleteEvent(ctx: AppContext, eventId: number): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    const state = (await lockRow(q, 'events', eventId)) ? await findEventState(q, eventId) : null;
    if (state === null) {
      return notFound('Event', eventId);
    }

    const speakerIds = await speakerIdsOfEvent(q, eventId);
    await deleteEventRow(q, eventId);

    return succeed(204, undefined, {
      invalidate: uniqueKeys([
        eventKey(eventId),
        organizerKey(state.organizerId),
        ...speakerIds.map(speakerKey),
        STATISTICS_KEY,
      ]),
    });
  });
}

export async function getEvent(ctx: AppContext, eventId: number): Promise<OperationResult> {
  const event = await readWithRetry(ctx, (q) => findEventDocument(q, eventId));
  return event === null ? notFound('Event', eventId) : succeed(200, event);
}

export async function listEvents(
  ctx: AppContext,
  list: ListQuery<EventSort>,
): Promise<OperationResult> {
  const page = await readWithRetry(ctx, (q) => listEventDocuments(q, list));
  return listed(list, page);
}
