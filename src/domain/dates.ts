/**
 * Event dates: what the API accepts on input, and how an instant is stored per SQL dialect.
 * Every accepted form denotes one UTC instant; output is always `Date.prototype.toISOString()`.
 */

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):?(\d{2}))$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const LEGACY_DATE = /^(\d{2})\/(\d{2})\/(\d{4})$/;

const MINUTE_MS = 60_000;

/**
 * Parses an event date as the contract accepts it:
 * - ISO 8601 date-time with `Z` or an offset (`2027-03-14T18:30:00+02:00`, `...T18:30Z`,
 *   `...T18:30:00.123456Z`; fractions beyond milliseconds are truncated);
 * - a bare date `2027-03-14` (midnight UTC);
 * - the legacy `dd/MM/yyyy` (midnight UTC).
 * Returns null for anything else, including impossible dates (31/02/2027, month 13, 24:00).
 */
export function parseEventDate(text: string): Date | null {
  const dateTime = ISO_DATE_TIME.exec(text);
  if (dateTime !== null) {
    return parseDateTime(dateTime);
  }

  const date = ISO_DATE.exec(text);
  if (date !== null) {
    return utcInstant(Number(date[1]), Number(date[2]), Number(date[3]), 0, 0, 0, 0);
  }

  const legacy = LEGACY_DATE.exec(text);
  if (legacy !== null) {
    return utcInstant(Number(legacy[3]), Number(legacy[2]), Number(legacy[1]), 0, 0, 0, 0);
  }

  return null;
}

function parseDateTime(match: RegExpExecArray): Date | null {
  const [, year, month, day, hour, minute, second, fraction, zone, sign, offsetH, offsetM] = match;
  const millis = Number((fraction ?? '').padEnd(3, '0').slice(0, 3));
  const local = utcInstant(
    Number(year),
    Number(month),
    Number(day),
    Number(hour),
    Number(minute),
    Number(second ?? 0),
    millis,
  );
  if (local === null) {
    return null;
  }

  if (zone === 'Z') {
    return local;
  }

  const hours = Number(offsetH);
  const minutes = Number(offsetM);
  if (hours > 23 || minutes > 59) {
    return null;
  }

  // The wall time is `offset` ahead of UTC, so subtract it to reach the instant.
  const offset = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  const instant = new Date(local.getTime() - offset * MINUTE_MS);
  return isStorableYear(instant.getUTCFullYear()) ? instant : null;
}

/** Years 1..9999: SQL Server's `datetime2` range, and the fixed-width text SQLite sorts by. */
function isStorableYear(year: number): boolean {
  return year >= 1 && year <= 9999;
}

/** Builds a UTC instant from calendar fields, or null when a field is out of range. */
function utcInstant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  millis: number,
): Date | null {
  if (!isStorableYear(year) || month < 1 || month > 12 || day < 1) {
    return null;
  }

  if (hour > 23 || minute > 59 || second > 59) {
    return null;
  }

  // setUTCFullYear, unlike Date.UTC, does not map years 0..99 to 1900..1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, millis);

  // Date rolls 31/02 over to 03/03; a changed day means the date does not exist.
  return date.getUTCDate() === day ? date : null;
}

/** SQL dialects whose date columns these converters know (same names as src/db). */
export type DateColumnDialect = 'sqlite' | 'postgres' | 'mssql';

/**
 * The value to bind for a date column:
 * - SQLite: ISO-8601 text `YYYY-MM-DDTHH:MM:SS.sssZ`, fixed width so text order is time order;
 * - PostgreSQL: the same text, which `timestamptz` parses exactly (the driver would otherwise
 *   format a Date in the process's local zone);
 * - SQL Server: `YYYY-MM-DDTHH:MM:SS.sss` without the zone, the language-independent form
 *   `datetime2` converts from. A Date parameter would be sent as `datetime` and lose
 *   millisecond precision (it rounds to 1/300 s).
 */
export function toDatabaseDate(date: Date, dialect: DateColumnDialect): string {
  const iso = date.toISOString();
  return dialect === 'mssql' ? iso.slice(0, -1) : iso;
}

/**
 * Reads a date column: PostgreSQL and SQL Server (tedious with `useUTC`) return a Date,
 * SQLite returns the stored ISO text.
 */
export function fromDatabaseDate(value: Date | string): Date {
  return value instanceof Date ? value : new Date(value);
}

/** Date column value to the wire form (`2027-03-14T18:30:00.000Z`). */
export function formatDatabaseDate(value: Date | string): string {
  return fromDatabaseDate(value).toISOString();
}
