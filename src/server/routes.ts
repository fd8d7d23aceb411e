import type { OperationName } from '../app/operation.js';
import type { CachedResource } from '../domain/cache-keys.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Which list sort options a list route accepts (contract: Lists). */
export type ListKind = 'event' | 'named';

export interface RouteSpec {
  method: HttpMethod;
  /** Path template as in the contract; `{name}` segments are positive 32-bit integer ids. */
  path: string;
  operation: OperationName | 'health.live' | 'openapi' | 'swagger' | 'metrics';
  isProtected: boolean;
  /** Name of the request body schema in openapi.json's components. */
  bodySchema?: string;
  list?: ListKind;
  /** GET by id served cache-aside under this resource's key. */
  cachedResource?: CachedResource;
  /** Statistics: cached under STATISTICS_KEY with the short TTL. */
  isStatistics?: boolean;
  /**
   * Honours `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): the creates, whose
   * retry would otherwise add a second row, and the registration, whose retry then gets its
   * first answer even after the event filled up. The other POSTs assign or link, which
   * repeats harmlessly, and PUT and DELETE are idempotent by method.
   */
  isIdempotent?: boolean;
  /** Hashes a password (scrypt): admitted through the hashing gate. */
  hashesPassword?: boolean;
  /** Operational routes (health, metrics, the contract, Swagger UI): no per-client limit. */
  isOperational?: boolean;
}

/** Every route of the API v1 contract. Static segments win over `{id}` when both match. */
export const ROUTES: readonly RouteSpec[] = [
  {
    ...route('POST', '/authentication/register', 'auth.register', false, 'RegisterInput'),
    hashesPassword: true,
  },
  {
    ...route('POST', '/authentication/login', 'auth.login', false, 'LoginInput'),
    hashesPassword: true,
  },
  {
    ...route(
      'PUT',
      '/authentication/change-password',
      'auth.changePassword',
      true,
      'ChangePasswordInput',
    ),
    hashesPassword: true,
  },
  route('GET', '/authentication/data', 'auth.data', true),

  { ...route('POST', '/event', 'event.create', true, 'EventInput'), isIdempotent: true },
  route('PUT', '/event/update/{id}', 'event.update', true, 'EventInput'),
  route('DELETE', '/event/delete/{id}', 'event.delete', true),
  { ...route('GET', '/event/all', 'event.list', false), list: 'event' },
  { ...route('GET', '/event/{id}', 'event.get', false), cachedResource: 'event' },

  {
    ...route('POST', '/organizer', 'organizer.create', true, 'OrganizerInput'),
    isIdempotent: true,
  },
  route('POST', '/organizer/{organizerId}/event/{eventId}', 'organizer.assignEvent', true),
  route('PUT', '/organizer/update/{id}', 'organizer.update', true, 'OrganizerInput'),
  route('DELETE', '/organizer/delete/{id}', 'organizer.delete', true),
  { ...route('GET', '/organizer/all', 'organizer.list', false), list: 'named' },
  { ...route('GET', '/organizer/{id}', 'organizer.get', false), cachedResource: 'organizer' },

  {
    ...route('POST', '/participant', 'participant.create', true, 'ParticipantInput'),
    isIdempotent: true,
  },
  {
    ...route(
      'POST',
      '/participant/{eventId}/participant/{participantId}',
      'participant.register',
      true,
    ),
    isIdempotent: true,
  },
  route('PUT', '/participant/update/{id}', 'participant.update', true, 'ParticipantInput'),
  route('DELETE', '/participant/delete/{id}', 'participant.delete', true),
  {
    ...route('GET', '/participant/{eventId}/all', 'participant.listByEvent', false),
    list: 'named',
  },
  { ...route('GET', '/participant/{id}', 'participant.get', false), cachedResource: 'participant' },

  { ...route('POST', '/speaker', 'speaker.create', true, 'SpeakerInput'), isIdempotent: true },
  route('POST', '/speaker/{speakerId}/event/{eventId}', 'speaker.linkEvent', true),
  route('PUT', '/speaker/update/{id}', 'speaker.update', true, 'SpeakerInput'),
  route('DELETE', '/speaker/delete/{id}', 'speaker.delete', true),
  { ...route('GET', '/speaker/all', 'speaker.list', false), list: 'named' },
  { ...route('GET', '/speaker/{id}', 'speaker.get', false), cachedResource: 'speaker' },

  { ...route('GET', '/dashboard/statistics/all', 'statistics.get', false), isStatistics: true },

  { ...route('GET', '/health/live', 'health.live', false), isOperational: true },
  { ...route('GET', '/health/ready', 'health.ready', false), isOperational: true },
  { ...route('GET', '/openapi.json', 'openapi', false), isOperational: true },
  { ...route('GET', '/swagger', 'swagger', false), isOperational: true },
  // Prometheus scrape endpoint (docs/observability.md); not part of the API contract.
  { ...route('GET', '/metrics', 'metrics', false), isOperational: true },
];

function route(
  method: HttpMethod,
  path: string,
  operation: RouteSpec['operation'],
  isProtected: boolean,
  bodySchema?: string,
): RouteSpec {
  return bodySchema === undefined
    ? { method, path, operation, isProtected }
    : { method, path, operation, isProtected, bodySchema };
}
