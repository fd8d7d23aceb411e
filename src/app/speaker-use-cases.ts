import { findEventDocument } from '../db/event-documents.js';
import { eventExists } from '../db/event-repository.js';
import { lockRow } from '../db/row-lock.js';
import {
  deleteSpeaker as deleteSpeakerRow,
  eventIdsOfSpeaker,
  findSpeakerDocument,
  insertSpeaker,
  isSpeakerLinked,
  linkSpeaker,
  listSpeakerDocuments,
  speakerExists,
  updateSpeaker as updateSpeakerRow,
} from '../db/speaker-repository.js';
import { STATISTICS_KEY, eventKey, speakerKey } from '../domain/cache-keys.js';
import type { ListQuery, NameSort, SpeakerInput } from '../domain/types.js';
import type { AppContext } from './context.js';
import { readWithRetry, violatedConstraint, writeWithRetry } from './database-work.js';
import { notFound } from './fail.js';
import { type OperationResult, succeed } from './operation.js';
import { listed } from './operation-input.js';

/** POST /speaker: 201 with the new speaker (no events yet). */
export function createSpeaker(ctx: AppContext, input: SpeakerInput): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    const id = await insertSpeaker(q, input);

    return succeed(
      201,
      {
        id,
        name: input.name,
        email: input.email,
        biography: input.biography,
        expertise: input.expertise ?? null,
        events: [],
      },
      { location: `/speaker/${id}`, invalidate: [STATISTICS_KEY] },
    );
  });
}

/** PUT /speaker/update/{id}: 200; the speaker's events show the speaker, so they go too. */
export function updateSpeaker(
  ctx: AppContext,
  speakerId: number,
  input: SpeakerInput,
): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    if (!(await lockRow(q, 'speakers', speakerId))) {
      return notFound('Speaker', speakerId);
    }

    await updateSpeakerRow(q, speakerId, input);
    const eventIds = await eventIdsOfSpeaker(q, speakerId);
    const speaker = await findSpeakerDocument(q, speakerId);

    return succeed(200, speaker, {
      invalidate: [speakerKey(speakerId), ...eventIds.map(eventKey)],
    });
  });
}

/** DELETE /speaker/delete/{id}: 204; the speaker disappears from their events' pages. */
export function deleteSpeaker(ctx: AppContext, speakerId: number): Promise<OperationResult> {
  return writeWithRetry(ctx, async (q) => {
    if (!(await lockRow(q, 'speakers', speakerId))) {
      return notFound('Speaker', speakerId);
    }

    const eventIds = await eventIdsOfSpeaker(q, speakerId);
    await deleteSpeakerRow(q, speakerId);

    return succeed(204, undefined, {
      invalidate: [speakerKey(speakerId), ...eventIds.map(eventKey), STATISTICS_KEY],
    });
  });
}

/** POST /speaker/{speakerId}/event/{eventId}: 200 with the event; linking twice is fine. */
export async function linkSpeakerToEvent(
  ctx: AppContext,
  speakerId: number,
  eventId: number,
): Promise<OperationResult> {
  const invalidate = [speakerKey(speakerId), eventKey(eventId)];

  try {
    return await writeWithRetry(ctx, async (q) => {
      if (!(await speakerExists(q, speakerId))) {
        return notFound('Speaker', speakerId);
      }

      if (!(await eventExists(q, eventId))) {
        return notFound('Event', eventId);
      }

      if (!(await isSpeakerLinked(q, speakerId, eventId))) {
        await linkSpeaker(q, speakerId, eventId);
      }

      return succeed(200, await findEventDocument(q, eventId), { invalidate });
    });
  } catch (error) {
    const constraint = violatedConstraint(ctx, error);
    if (constraint === null) {
      throw error;
    }

    // A concurrent request linked them first (primary key), or the speaker or the event
    // went away (foreign key): answer from what the database holds now.
    return readWithRetry(ctx, async (q) => {
      if (!(await speakerExists(q, speakerId))) {
        return notFound('Speaker', speakerId);
      }

      const event = await findEventDocument(q, eventId);
      if (event === null) {
        return notFound('Event', eventId);
      }

      if (!(await isSpeakerLinked(q, speakerId, eventId))) {
        throw error;
      }

      return succeed(200, event, { invalidate });
    });
  }
}

export async function getSpeaker(ctx: AppContext, speakerId: number): Promise<OperationResult> {
  const speaker = await readWithRetry(ctx, (q) => findSpeakerDocument(q, speakerId));
  return speaker === null ? notFound('Speaker', speakerId) : succeed(200, speaker);
}

export async function listSpeakers(
  ctx: AppContext,
  list: ListQuery<NameSort>,
): Promise<OperationResult> {
  const page = await readWithRetry(ctx, (q) => listSpeakerDocuments(q, list));
  return listed(list, page);
}
