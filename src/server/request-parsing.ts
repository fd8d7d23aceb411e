import type { FieldErrors } from '../domain/errors.js';
import type { ListQuery } from '../domain/types.js';
import type { IntegerRule, ListRules } from './list-rules.js';
import type { ListKind } from './routes.js';

const MAX_ID = 2_147_483_647;
const DIGITS = /^[0-9]{1,10}$/;
/** draft-ietf-httpapi-idempotency-key-header: here 1..255 visible ASCII characters. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export type Parsed<T> = { ok: true; value: T } | { ok: false; errors: FieldErrors };

/** Path ids are positive 32-bit integers written in plain digits. */
export function parseIds(
  names: readonly string[],
  raw: readonly string[],
): Parsed<Record<string, number>> {
  const params: Record<string, number> = {};
  let errors: FieldErrors | null = null;

  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    const text = raw[i] ?? '';
    const value = DIGITS.test(text) ? Number(text) : NaN;
    if (value >= 1 && value <= MAX_ID) {
      params[name] = value;
    } else {
      errors ??= {};
      errors[name] = ['must be a positive 32-bit integer'];
    }
  }
  return errors === null ? { ok: true, value: params } : { ok: false, errors };
}

/**
 * An `Idempotency-Key` header value ('' means absent: uWS reports a missing header and an
 * empty one alike, and an empty key could not name anything). The error is filed under the
 * header's name, as path and query errors are under theirs; no body field has a hyphen.
 */
export function parseIdempotencyKey(text: string): Parsed<string | null> {
  if (text === '') return { ok: true, value: null };
  if (IDEMPOTENCY_KEY.test(text)) return { ok: true, value: text };

  return {
    ok: false,
    errors: { 'Idempotency-Key': ['must be 1 to 255 visible ASCII characters (no spaces)'] },
  };
}

/**
 * List query per the contract's rules (read from openapi.json, see list-rules.ts): parameter
 * names are case-insensitive, a page size above the clamp is clamped, everything else out of
 * range is a 400. Unknown parameters are ignored.
 */
export function parseListQuery(
  rules: ListRules,
  kind: ListKind,
  rawQuery: string,
): Parsed<ListQuery> {
  const values = new Map<string, string>();
  for (const [name, value] of new URLSearchParams(rawQuery)) {
    const key = name.toLowerCase();
    if (!values.has(key)) values.set(key, value);
  }

  const errors: FieldErrors = {};
  const page = rules.pageNumber;
  const pageNumber = readInteger(values.get('pagenumber'), page);
  if (pageNumber === null) {
    errors.pageNumber = [`must be an integer from ${page.minimum} to ${page.maximum}`];
  }

  const requestedSize = readInteger(values.get('pagesize'), rules.pageSize);
  if (requestedSize === null) errors.pageSize = ['must be a positive integer'];

  const sorts = rules.sorts[kind];
  const sortBy = values.get('sortby')?.toLowerCase() ?? sorts.default;
  if (!sorts.values.includes(sortBy)) {
    errors.sortBy = [`must be one of ${sorts.values.join(', ')}`];
  }

  const filterText = values.get('filter');
  const filter = filterText === undefined || filterText === '' ? null : filterText;
  if (filter !== null && filter.length > rules.filterMaxLength) {
    errors.filter = [`must NOT have more than ${rules.filterMaxLength} characters`];
  }

  if (Object.keys(errors).length > 0) return { ok: false, errors };

  return {
    ok: true,
    value: {
      pageNumber: pageNumber as number,
      pageSize: Math.min(requestedSize as number, rules.pageSize.clampedTo),
      sortBy,
      filter,
    },
  };
}

function readInteger(text: string | undefined, rule: IntegerRule): number | null {
  if (text === undefined || text === '') return rule.default;
  if (!/^[0-9]{1,16}$/.test(text)) return null;

  const value = Number(text);
  return value >= rule.minimum && value <= rule.maximum ? value : null;
}
