import { sql } from 'kysely';

import { readStatistics } from '../db/statistics-repository.js';
import type { AppContext } from './context.js';
import { readWithRetry } from './database-work.js';
import { fail } from './fail.js';
import { type OperationResult, succeed } from './operation.js';

/** GET /dashboard/statistics/all: how many events, organizers, speakers, participants. */
export async function getStatistics(ctx: AppContext): Promise<OperationResult> {
  return succeed(200, await readWithRetry(ctx, readStatistics));
}

/**
 * GET /health/ready: one trivial query, not retried (readiness must answer quickly, and a
 * probe repeats anyway). Any failure means 503 SERVICE_UNAVAILABLE.
 */
export async function checkReadiness(ctx: AppContext): Promise<OperationResult> {
  try {
    await sql`select 1`.execute(ctx.db);
    return succeed(200, { status: 'ok', checks: { database: 'up' } });
  } catch {
    return fail('SERVICE_UNAVAILABLE', 'The database is not reachable.');
  }
}
