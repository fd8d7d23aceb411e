import { type RawBuilder, type SelectQueryBuilder, sql } from 'kysely';

import type { ListQuery } from '../domain/types.js';
import type { DialectName } from './dialect-name.js';

/**
 * The LIKE pattern for "contains `filter`", with every metacharacter escaped by `\` so the
 * user's text is matched literally: `%` and `_` everywhere, `[` too because SQL Server
 * reads `[a-z]` as a character class, and `\` itself.
 */
export function containsPattern(filter: string): string {
  return `%${filter.replace(/[\\%_[]/g, '\\$&')}%`;
}

/**
 * Limitation: a contains-filter cannot use an index, so it scans the table; at a scale where
 * that hurts, PostgreSQL would need a pg_trgm index and SQL Server full-text search. Sorting
 * by name or title follows each database's collation (SQL Server's is usually
 * case-insensitive, SQLite compares code points), so mixed-case ties may order differently
 * per dialect; ties on the sort key are always broken by id.
 *
 * `lower(column) like lower(pattern) escape '\'`: case-insensitive on every dialect
 * (PostgreSQL's LIKE is case-sensitive, SQL Server's follows the column collation), with
 * the escape character declared so containsPattern's escapes hold.
 */
export function likeInsensitive(column: string, pattern: string): RawBuilder<boolean> {
  return sql<boolean>`lower(${sql.ref(column)}) like lower(${pattern}) escape '\\'`;
}

/** True when any of the columns contains `filter`, case-insensitively and literally. */
export function anyColumnContains(columns: readonly string[], filter: string): RawBuilder<boolean> {
  const pattern = containsPattern(filter);
  const tests = columns.map((column) => likeInsensitive(column, pattern));
  return sql<boolean>`(${sql.join(tests, sql` or `)})`;
}

/** Rows to skip and to take for a validated list query (pageNumber >= 1, pageSize 1..50). */
export function pageWindow(query: ListQuery): { offset: number; limit: number } {
  return { offset: (query.pageNumber - 1) * query.pageSize, limit: query.pageSize };
}

/**
 * Applies OFFSET/LIMIT. SQL Server has no LIMIT: Kysely compiles `.offset().fetch()` to
 * `OFFSET n ROWS FETCH NEXT m ROWS ONLY`, which is valid only after ORDER BY, so callers
 * always order (and tie-break by id, so pages never overlap or skip).
 */
export function applyPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  dialect: DialectName,
  list: ListQuery,
): SelectQueryBuilder<DB, TB, O> {
  const { offset, limit } = pageWindow(list);
  return dialect === 'mssql'
    ? query.offset(offset).fetch(limit)
    : query.limit(limit).offset(offset);
}

/** `count(*)` comes back as a number, a bigint, or (PostgreSQL's bigint) a string. */
export function toCount(value: unknown): number {
  return Number(value ?? 0);
}

/** Direction of a `name` / `name_desc` sort; anything else sorts by name ascending. */
export function nameSortDirection(sortBy: string): 'asc' | 'desc' {
  return sortBy === 'name_desc' ? 'desc' : 'asc';
}
