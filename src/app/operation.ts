import type { Failure } from '../domain/errors.js';
import type { ListQuery, PageMeta } from '../domain/types.js';

/**
 * Every operation the API performs in the worker pool. The server maps a route to one of
 * these names; the worker runs it against the database and returns an OperationResult.
 */
export type OperationName =
  | 'auth.register'
  | 'auth.login'
  | 'auth.changePassword'
  | 'auth.data'
  | 'event.create'
  | 'event.update'
  | 'event.delete'
  | 'event.get'
  | 'event.list'
  | 'organizer.create'
  | 'organizer.assignEvent'
  | 'organizer.update'
  | 'organizer.delete'
  | 'organizer.get'
  | 'organizer.list'
  | 'participant.create'
  | 'participant.register'
  | 'participant.update'
  | 'participant.delete'
  | 'participant.get'
  | 'participant.listByEvent'
  | 'speaker.create'
  | 'speaker.linkEvent'
  | 'speaker.update'
  | 'speaker.delete'
  | 'speaker.get'
  | 'speaker.list'
  | 'statistics.get'
  | 'health.ready';

/** What the server hands to an operation: already routed, parsed and schema-validated. */
export interface OperationInput {
  /** Path parameters by their contract names (`id`, `eventId`, `organizerId`, ...). */
  params: Record<string, number>;
  /** Present on list operations. */
  query?: ListQuery;
  /** The validated JSON body, when the route takes one. */
  body?: unknown;
  /** The authenticated user's id (`sub`), on protected routes. */
  userId?: number;
  /**
   * The client's `Idempotency-Key`, already checked (1..255 visible ASCII characters); only
   * on the operations whose route honours one (RouteSpec.isIdempotent).
   */
  idempotencyKey?: string;
}

export interface Success {
  ok: true;
  status: 200 | 201 | 204;
  /** The response document; serialised to JSON in the worker. Absent for 204. */
  value?: unknown;
  /** `Location` header value for 201 responses, e.g. `/event/42`. */
  location?: string;
  /** Present on list responses; the server turns it into `X-Pagination` and `Link`. */
  page?: PageMeta;
  /** Cache keys whose documents this operation made stale (writes only). */
  invalidate: string[];
  /**
   * The body already serialised, sent instead of `value`: an idempotent write serialises it
   * once to store it, and a replay has only the stored text (null: no body).
   */
  bodyText?: string | null;
  /** True when this is the stored first answer to an Idempotency-Key, not a new one. */
  isReplay?: boolean;
}

export type OperationFailure = { ok: false } & Failure;

export type OperationResult = Success | OperationFailure;

export function succeed(
  status: Success['status'],
  value?: unknown,
  extra: Partial<Pick<Success, 'location' | 'page' | 'invalidate'>> = {},
): Success {
  return { ok: true, status, value, invalidate: extra.invalidate ?? [], ...extra };
}
