import { parseEventDate } from './dates.js';
import { type Failure, failure } from './errors.js';

const DATE_FORMATS =
  'must be an ISO 8601 date-time with Z or an offset, a date YYYY-MM-DD, or dd/MM/yyyy';

/** The date of an event input, or VALIDATION_FAILED when it is in no accepted format. */
export function readEventDate(text: string): Date | Failure {
  const date = parseEventDate(text);
  return date ?? failure('VALIDATION_FAILED', 'The date is not valid.', { date: [DATE_FORMATS] });
}

/**
 * The contract's date rule: an event's date must be in the future when the event is
 * created (no `previous`) and whenever an update changes it. An unchanged date may lie in
 * the past, so an event that has happened can still have its description corrected.
 * Returns null when the date is acceptable.
 */
export function checkFutureDate(date: Date, now: Date, previous?: Date): Failure | null {
  if (previous !== undefined && previous.getTime() === date.getTime()) {
    return null;
  }

  if (date.getTime() <= now.getTime()) {
    return failure('VALIDATION_FAILED', 'The date must be in the future.', {
      date: ['must be in the future'],
    });
  }

  return null;
}

/** True when the event has as many registrations as seats. */
export function isEventFull(registered: number, seatLimit: number): boolean {
  return registered >= seatLimit;
}

/**
 * The key that makes e-mail addresses case-insensitive: `Ana@Example.com` and
 * `ana@example.com` are one account. Stored in users.email_normalized (unique), and the
 * subject of the per-account login limit.
 */
export function normalizeEmail(email: string): string {
  return email.toLowerCase();
}
