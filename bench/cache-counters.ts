import type { CacheLevels } from './report.js';

/**
 * The API's cache counters, read from GET /metrics (Prometheus text): lookups per level
 * since start. Read before and after a scenario, their difference shows which level answered
 * it: the near cache (in-process) or Redis. Never fails the bench: null when unreadable.
 */
export async function readCacheCounters(baseUrl: string): Promise<CacheLevels | null> {
  let text: string;
  try {
    const answer = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
    text = await answer.text();
    if (answer.status !== 200) return null;
  } catch {
    return null;
  }

  const sample = (name: string, level: string): number | null => {
    // Counters may carry the OpenMetrics `_total` suffix or not.
    const pattern = new RegExp(
      `^eventflow_cache_${name}(?:_total)?\\{level="${level}"\\} (\\S+)$`,
      'm',
    );
    const value = pattern.exec(text)?.[1];
    return value === undefined ? null : Number(value);
  };
  const nearHits = sample('hits', 'near');
  const nearMisses = sample('misses', 'near');
  if (nearHits === null || nearMisses === null) return null;

  return {
    nearHits,
    nearMisses,
    redisHits: sample('hits', 'redis'),
    redisMisses: sample('misses', 'redis'),
  };
}

/** after - before, counter by counter (null where either side lacks it). */
export function cacheLevelsBetween(
  before: CacheLevels | null,
  after: CacheLevels | null,
): CacheLevels | null {
  if (before === null || after === null) return null;

  const delta = (a: number | null, b: number | null): number | null =>
    a === null || b === null ? null : b - a;
  return {
    nearHits: after.nearHits - before.nearHits,
    nearMisses: after.nearMisses - before.nearMisses,
    redisHits: delta(before.redisHits, after.redisHits),
    redisMisses: delta(before.redisMisses, after.redisMisses),
  };
}
