import type {
  ChangePasswordInput,
  EventInput,
  LoginInput,
  OrganizerInput,
  ParticipantInput,
  RegisterInput,
  SpeakerInput,
} from '../domain/types.js';
import { changePassword, getUserData, login, registerUser } from './auth-use-cases.js';
import type { AppContext } from './context.js';
import { createEvent, deleteEvent, getEvent, listEvents, updateEvent } from './event-use-cases.js';
import { fail } from './fail.js';
import type { OperationInput, OperationName, OperationResult } from './operation.js';
import { bodyOf, eventListQuery, nameListQuery, pathId } from './operation-input.js';
import {
  assignEvent,
  createOrganizer,
  deleteOrganizer,
  getOrganizer,
  listOrganizers,
  updateOrganizer,
} from './organizer-use-cases.js';
import {
  createParticipant,
  deleteParticipant,
  getParticipant,
  listParticipantsByEvent,
  updateParticipant,
} from './participant-use-cases.js';
import { registerParticipant } from './registration-use-cases.js';
import {
  createSpeaker,
  deleteSpeaker,
  getSpeaker,
  linkSpeakerToEvent,
  listSpeakers,
  updateSpeaker,
} from './speaker-use-cases.js';
import { checkReadiness, getStatistics } from './statistics-use-cases.js';

export type Operation = (ctx: AppContext, input: OperationInput) => Promise<OperationResult>;

/**
 * Every operation by name: unpacks the routed input (path ids by their contract names,
 * the validated body, the list query) and runs the use case.
 */
export const OPERATIONS: Record<OperationName, Operation> = {
  'auth.register': (ctx, input) => registerUser(ctx, bodyOf<RegisterInput>(input)),
  'auth.login': (ctx, input) => login(ctx, bodyOf<LoginInput>(input)),
  'auth.changePassword': (ctx, input) =>
    withUser(input, (userId) => changePassword(ctx, userId, bodyOf<ChangePasswordInput>(input))),
  'auth.data': (ctx, input) => withUser(input, (userId) => getUserData(ctx, userId)),

  'event.create': (ctx, input) => createEvent(ctx, bodyOf<EventInput>(input)),
  'event.update': (ctx, input) => updateEvent(ctx, pathId(input, 'id'), bodyOf<EventInput>(input)),
  'event.delete': (ctx, input) => deleteEvent(ctx, pathId(input, 'id')),
  'event.get': (ctx, input) => getEvent(ctx, pathId(input, 'id')),
  'event.list': (ctx, input) => listEvents(ctx, eventListQuery(input)),

  'organizer.create': (ctx, input) => createOrganizer(ctx, bodyOf<OrganizerInput>(input)),
  'organizer.assignEvent': (ctx, input) =>
    assignEvent(ctx, pathId(input, 'organizerId'), pathId(input, 'eventId')),
  'organizer.update': (ctx, input) =>
    updateOrganizer(ctx, pathId(input, 'id'), bodyOf<OrganizerInput>(input)),
  'organizer.delete': (ctx, input) => deleteOrganizer(ctx, pathId(input, 'id')),
  'organizer.get': (ctx, input) => getOrganizer(ctx, pathId(input, 'id')),
  'organizer.list': (ctx, input) => listOrganizers(ctx, nameListQuery(input)),

  'participant.create': (ctx, input) => createParticipant(ctx, bodyOf<ParticipantInput>(input)),
  'participant.register': (ctx, input) =>
    registerParticipant(ctx, pathId(input, 'eventId'), pathId(input, 'participantId')),
  'participant.update': (ctx, input) =>
    updateParticipant(ctx, pathId(input, 'id'), bodyOf<ParticipantInput>(input)),
  'participant.delete': (ctx, input) => deleteParticipant(ctx, pathId(input, 'id')),
  'participant.get': (ctx, input) => getParticipant(ctx, pathId(input, 'id')),
  'participant.listByEvent': (ctx, input) =>
    listParticipantsByEvent(ctx, pathId(input, 'eventId'), nameListQuery(input)),

  'speaker.create': (ctx, input) => createSpeaker(ctx, bodyOf<SpeakerInput>(input)),
  'speaker.linkEvent': (ctx, input) =>
    linkSpeakerToEvent(ctx, pathId(input, 'speakerId'), pathId(input, 'eventId')),
  'speaker.update': (ctx, input) =>
    updateSpeaker(ctx, pathId(input, 'id'), bodyOf<SpeakerInput>(input)),
  'speaker.delete': (ctx, input) => deleteSpeaker(ctx, pathId(input, 'id')),
  'speaker.get': (ctx, input) => getSpeaker(ctx, pathId(input, 'id')),
  'speaker.list': (ctx, input) => listSpeakers(ctx, nameListQuery(input)),

  'statistics.get': (ctx) => getStatistics(ctx),
  'health.ready': (ctx) => checkReadiness(ctx),
};

/**
 * Runs `work` for the authenticated user. The server authenticates protected routes before
 * they get here; without a user id this answers 401 rather than trusting that blindly.
 */
function withUser(
  input: OperationInput,
  work: (userId: number) => Promise<OperationResult>,
): Promise<OperationResult> {
  return input.userId === undefined
    ? Promise.resolve(fail('UNAUTHORIZED', 'Authentication is required.'))
    : work(input.userId);
}
