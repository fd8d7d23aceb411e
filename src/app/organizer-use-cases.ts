import { findEventDocument } from '../db/event-documents.js';
import {
  eventIdsOfOrganizer,
  findEventState,
  setEventOrganizer,
  speakerIdsOfOrganizer,
} from '../db/event-repository.js';
import {
  deleteOrganizer as deleteOrganizerRow,
  findOrganizerDocument,
  insertOrganizer,
  listOrganizerDocuments,
  organizerExists,
  updateOrganizer as updateOrganizerRow,
} from '../db/organizer-repository.js';
import { lockEventsOfOrganizer, lockRow } from '../db/row-lock.js';
import { STATISTICS_KEY, eventKey, organizerKey, speakerKey } from '../domain/cache-keys.js';
import type { ListQuery, NameSort, OrganizerInput } from '../domain/types.js';
import type { AppContext } from './context.js';
import { readWithRetry, uniqueKeys, violatedConstraint, writeWithRetry } from './database-work.js';
import { notFound } from './fail.js';
import { type OperationResult, succeed } from './operation.js';
import { listed } from './operation-input.js';

/** POST /organizer: 201 with the new organizer (no events yet). */
export function createOrganizer(ctx: AppContext, input: OrganizerInput): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    const id = await insertOrganizer(q, input);

    return succeed(
      201,
      { id, name: input.name, email: input.email, events: [] },
      { location: `/organizer/${id}`, invalidate: [STATISTICS_KEY] },
    );
  });
}

/** PUT /organizer/update/{id}: 200; its events' pages show the organizer, so they go too. */
export function updateOrganizer(
  ctx: AppContext,
  organizerId: number,
  input: OrganizerInput,
): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    if (!(await lockRow(q, 'organizers', organizerId))) {
      return notFound('Organizer', organizerId);
    }

    await updateOrganizerRow(q, organizerId, input);
    const eventIds = await eventIdsOfOrganizer(q, organizerId);
    const organizer = await findOrganizerDocument(q, organizerId);

    return succeed(200, organizer, {
      invalidate: [organizerKey(organizerId), ...eventIds.map(eventKey)],
    });
  });
}

/**
 * DELETE /organizer/delete/{id}: 204. Its events cascade, and with them their registrations
 * and speaker links, so the pages of those events and of their speakers go stale too.
 */
export function deleteOrganizer(ctx: AppContext, organizerId: number): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    if (!(await lockRow(q, 'organizers', organizerId))) {
      return notFound('Organizer', organizerId);
    }

    // Locked, not only read: a speaker linked to one of them meanwhile must show up in the
    // speakers read next, or its page would keep showing the deleted event.
    const eventIds = await lockEventsOfOrganizer(q, organizerId);
    const speakerIds = await speakerIdsOfOrganizer(q, organizerId);
    await deleteOrganizerRow(q, organizerId);

    return succeed(204, undefined, {
      invalidate: [
        organizerKey(organizerId),
        ...eventIds.map(eventKey),
        ...speakerIds.map(speakerKey),
        STATISTICS_KEY,
      ],
    });
  });
}

/** POST /organizer/{organizerId}/event/{eventId}: 200 with the event, now the organizer's. */
export async function assignEvent(
  ctx: AppContext,
  organizerId: number,
  eventId: number,
): Promise<OperationResult> {
  try {
    return await writeWithRetry(ctx, async (q) => {
      const state = (await lockRow(q, 'events', eventId)) ? await findEventState(q, eventId) : null;
      if (state === null) {
        return notFound('Event', eventId);
      }

      if (!(await organizerExists(q, organizerId))) {
        return notFound('Organizer', organizerId);
      }

      if (state.organizerId !== organizerId) {
        await setEventOrganizer(q, eventId, organizerId);
      }

      const event = await findEventDocument(q, eventId);
      return succeed(200, event, {
        invalidate: uniqueKeys([
          eventKey(eventId),
          organizerKey(state.organizerId),
          organizerKey(organizerId),
        ]),
      });
    });
  } catch (error) {
    // The organizer was deleted between the check and the update (foreign key backstop).
    if (violatedConstraint(ctx, error) === 'foreign_key_violation') {
      return notFound('Organizer', organizerId);
    }

    throw error;
  }
}

export async function getOrganizer(ctx: AppContext, organizerId: number): Promise<OperationResult> {
  const organizer = await readWithRetry(ctx, (q) => findOrganizerDocument(q, organizerId));
  return organizer === null ? notFound('Organizer', organizerId) : succeed(200, organizer);
}

export async function listOrganizers(
  ctx: AppContext,
  list: ListQuery<NameSort>,
): Promise<OperationResult> {
  const page = await readWithRetry(ctx, (q) => listOrganizerDocuments(q, list));
  return listed(list, page);
}
