import type { Config } from '../config.js';
import type { Logger } from '../telemetry/logger.js';
import type { Cache } from './cache.js';
import { LayeredCache } from './layered-cache.js';
import { MemoryCache } from './memory-cache.js';
import { NullCache } from './null-cache.js';
import { openRedisConnections } from './redis-connection.js';

/**
 * The cache the server uses: with REDIS_URL or REDIS_CLUSTER_NODES, a near cache in front of
 * Redis (LayeredCache); without, the in-process cache alone; with CACHE_ENABLED=false, none.
 */
export function createCache(config: Config, log: Logger): Cache {
  if (!config.cacheEnabled) return new NullCache();
  if (config.redisUrl === null && config.redisClusterNodes === null) {
    return new MemoryCache({ maxBytes: config.cacheMaxBytes });
  }

  const connections = openRedisConnections({
    url: config.redisUrl,
    clusterNodes: config.redisClusterNodes,
    commandTimeoutMs: config.redisCommandTimeoutMs,
  });
  const cacheLog = log.child({ component: 'cache' });
  cacheLog.info({ redis: connections.description }, 'redis cache configured');

  return new LayeredCache({
    ...connections,
    commandTimeoutMs: config.redisCommandTimeoutMs,
    nearTtlSeconds: config.nearCacheTtlSeconds,
    nearMaxBytes: config.nearCacheMaxBytes,
    log: cacheLog,
  });
}
