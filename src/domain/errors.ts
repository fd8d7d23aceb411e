/**
 * The one catalogue of error codes a client can see. Each code has one HTTP status and a
 * short title; `detail` varies per occurrence. Codes are stable: clients switch on them.
 */
export const ERROR_CATALOGUE = {
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_BODY: { status: 400, title: 'The request body is not valid UTF-8 JSON' },
  CURRENT_PASSWORD_INCORRECT: { status: 400, title: 'The current password is not correct' },
  UNAUTHORIZED: { status: 401, title: 'Authentication is required' },
  INVALID_TOKEN: { status: 401, title: 'The access token is not valid' },
  INVALID_CREDENTIALS: { status: 401, title: 'The e-mail or password is not correct' },
  NOT_FOUND: { status: 404, title: 'The resource was not found' },
  ROUTE_NOT_FOUND: { status: 404, title: 'No such route' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'The method is not allowed on this route' },
  REQUEST_TIMEOUT: { status: 408, title: 'The request was not received in time' },
  EMAIL_TAKEN: { status: 409, title: 'The e-mail address is already registered' },
  EVENT_FULL: { status: 409, title: 'The event is full' },
  CAPACITY_BELOW_REGISTRATIONS: {
    status: 409,
    title: 'The capacity is lower than the number of registered participants',
  },
  PAYLOAD_TOO_LARGE: { status: 413, title: 'The request body is too large' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The content type is not supported' },
  ORGANIZER_NOT_FOUND: { status: 422, title: 'The organizer does not exist' },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    title: 'The idempotency key was used with a different request',
  },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  INTERNAL_ERROR: { status: 500, title: 'An unexpected error occurred' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'The service is temporarily unavailable' },
  DEADLINE_EXCEEDED: { status: 503, title: 'The request could not be completed in time' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** Field path (`title`, `speakers/0/name`, `query.pageSize`) to its messages. */
export type FieldErrors = Record<string, string[]>;

/** An expected failure of a use case, carried as a value rather than thrown. */
export interface Failure {
  code: ErrorCode;
  detail: string;
  errors?: FieldErrors;
  /** Extension members for the problem document (RFC 9457 section 3.2), e.g. health checks. */
  extensions?: Record<string, unknown>;
}

export function failure(code: ErrorCode, detail: string, errors?: FieldErrors): Failure {
  return errors === undefined ? { code, detail } : { code, detail, errors };
}
