import { purgeExpiredIdempotencyRecords } from '../db/idempotency-repository.js';
import type { QueryContext } from '../db/query-context.js';
import type { Logger } from '../telemetry/logger.js';

/** How often each worker purges expired idempotency records (10 minutes). */
const PURGE_INTERVAL_MS = 10 * 60 * 1000;
/** Records one DELETE removes at most, so no purge holds locks on a large backlog for long. */
const PURGE_BATCH_SIZE = 500;
/** Batches per purge; what is left waits for the next one (expired records are ignored). */
const MAX_BATCHES = 20;

/**
 * Deletes expired idempotency records every PURGE_INTERVAL_MS, in bounded batches. Expired
 * records are ignored on lookup and deleted when their key comes back, so the purge only
 * keeps the table from growing. The timer is unref'd: it never keeps a worker alive.
 */
export function startIdempotencyPurge(q: QueryContext, log: Logger): void {
  let isPurging = false;

  const timer = setInterval(() => {
    if (isPurging) return;

    isPurging = true;
    purgeBatches(q).then(
      (deleted) => {
        isPurging = false;
        if (deleted > 0) log.debug({ deleted }, 'expired idempotency records purged');
      },
      (error: unknown) => {
        isPurging = false;
        log.error({ err: error }, 'idempotency record purge failed');
      },
    );
  }, PURGE_INTERVAL_MS);
  timer.unref();
}

async function purgeBatches(q: QueryContext): Promise<number> {
  let deleted = 0;
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const count = await purgeExpiredIdempotencyRecords(q, new Date(), PURGE_BATCH_SIZE);
    deleted += count;
    if (count < PURGE_BATCH_SIZE) break;
  }

  return deleted;
}
