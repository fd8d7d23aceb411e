import { eventExists } from '../db/event-repository.js';
import {
  deleteParticipant as deleteParticipantRow,
  findParticipantDocument,
  insertParticipant,
  listParticipantsOfEvent,
  updateParticipant as updateParticipantRow,
} from '../db/participant-repository.js';
import { eventIdsOfParticipant } from '../db/registration-repository.js';
import { lockRow } from '../db/row-lock.js';
import { STATISTICS_KEY, eventKey, participantKey } from '../domain/cache-keys.js';
import type { ListQuery, NameSort, ParticipantInput } from '../domain/types.js';
import type { AppContext } from './context.js';
import { readWithRetry, writeWithRetry } from './database-work.js';
import { notFound } from './fail.js';
import { type OperationResult, succeed } from './operation.js';
import { listed } from './operation-input.js';

/** POST /participant: 201 with the new participant. */
export function createParticipant(
  ctx: AppContext,
  input: ParticipantInput,
): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    const id = await insertParticipant(q, input);

    return succeed(
      201,
      { id, name: input.name, email: input.email, interests: input.interests ?? null },
      { location: `/participant/${id}`, invalidate: [STATISTICS_KEY] },
    );
  });
}

/** PUT /participant/update/{id}: 200; the events they are registered to list them too. */
export function updateParticipant(
  ctx: AppContext,
  participantId: number,
  input: ParticipantInput,
): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    if (!(await lockRow(q, 'participants', participantId))) {
      return notFound('Participant', participantId);
    }

    await updateParticipantRow(q, participantId, input);
    const eventIds = await eventIdsOfParticipant(q, participantId);
    const participant = await findParticipantDocument(q, participantId);

    return succeed(200, participant, {
      invalidate: [participantKey(participantId), ...eventIds.map(eventKey)],
    });
  });
}

/** DELETE /participant/delete/{id}: 204; their registrations (and seats) are released. */
export function deleteParticipant(
  ctx: AppContext,
  participantId: number,
): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    if (!(await lockRow(q, 'participants', participantId))) {
      return notFound('Participant', participantId);
    }

    const eventIds = await eventIdsOfParticipant(q, participantId);
    await deleteParticipantRow(q, participantId);

    return succeed(204, undefined, {
      invalidate: [participantKey(participantId), ...eventIds.map(eventKey), STATISTICS_KEY],
    });
  });
}

export async function getParticipant(
  ctx: AppContext,
  participantId: number,
): Promise<OperationResult> {
  const participant = await readWithRetry(ctx, (q) => findParticipantDocument(q, participantId));
  return participant === null ? notFound('Participant', participantId) : succeed(200, participant);
}

/** GET /participant/{eventId}/all: a page of the event's participants; 404 for no event. */
export async function listParticipantsByEvent(
  ctx: AppContext,
  eventId: number,
  list: ListQuery<NameSort>,
): Promise<OperationResult> {
  const page = await readWithRetry(ctx, async (q) =>
    (await eventExists(q, eventId)) ? await listParticipantsOfEvent(q, eventId, list) : null,
  );

  return page === null ? notFound('Event', eventId) : listed(list, page);
}
