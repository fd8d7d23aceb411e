import type { EventSort, ListQuery, NameSort } from '../domain/types.js';
import type { OperationInput, Success } from './operation.js';
import { succeed } from './operation.js';

const EVENT_SORTS: readonly EventSort[] = ['date', 'date_desc', 'title', 'title_desc'];
const NAME_SORTS: readonly NameSort[] = ['name', 'name_desc'];
const DEFAULT_PAGE_SIZE = 10;
const MAX_PAGE_SIZE = 50;

/**
 * A path id the router must have supplied. Its absence is a routing bug, not a client
 * error, so it throws.
 */
export function pathId(input: OperationInput, name: string): number {
  const id = input.params[name];
  if (id === undefined) {
    throw new Error(`The operation needs the path parameter "${name}"`);
  }

  return id;
}

/** The validated body, typed as the route's schema promises. */
export function bodyOf<T>(input: OperationInput): T {
  if (input.body === undefined) {
    throw new Error('The operation needs a request body');
  }

  return input.body as T;
}

export function eventListQuery(input: OperationInput): ListQuery<EventSort> {
  return listQuery(input, EVENT_SORTS, 'date');
}

export function nameListQuery(input: OperationInput): ListQuery<NameSort> {
  return listQuery(input, NAME_SORTS, 'name');
}

/**
 * The list query with defaults filled in. The server validated it already; the clamps
 * here only keep a direct caller (seed, tests) from asking for an unbounded page.
 */
function listQuery<S extends string>(
  input: OperationInput,
  sorts: readonly S[],
  defaultSort: S,
): ListQuery<S> {
  const query = input.query;
  const sortBy = sorts.find((sort) => sort === query?.sortBy) ?? defaultSort;
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, query?.pageSize ?? DEFAULT_PAGE_SIZE));
  const filter = query?.filter ?? null;

  return {
    pageNumber: Math.max(1, query?.pageNumber ?? 1),
    pageSize,
    sortBy,
    filter: filter === '' ? null : filter,
  };
}

/** A 200 list answer: the items, and the page the server turns into X-Pagination. */
export function listed<S extends string>(
  list: ListQuery<S>,
  result: { items: unknown[]; totalCount: number },
): Success {
  return succeed(200, result.items, {
    page: { totalCount: result.totalCount, pageNumber: list.pageNumber, pageSize: list.pageSize },
  });
}
