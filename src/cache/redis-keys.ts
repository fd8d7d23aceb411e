import { CACHE_PREFIX } from '../domain/cache-keys.js';

/**
 * Where a logical cache key lives in Redis. The part after the namespace becomes a hash tag,
 * so a document and its version key always share a Redis Cluster slot and one Lua script
 * can read or change both atomically:
 *
 *   eventflow:v1:event:42  ->  eventflow:v1:{event:42}     (the document envelope)
 *                              eventflow:v1:{event:42}:v   (its version token)
 *
 * Keys outside the namespace are tagged whole. Channels carry no keys, so they need no tag.
 */
export interface RedisKeyPair {
  value: string;
  version: string;
}

export function redisKeysOf(key: string): RedisKeyPair {
  const value = key.startsWith(CACHE_PREFIX)
    ? `${CACHE_PREFIX}{${key.slice(CACHE_PREFIX.length)}}`
    : `{${key}}`;
  return { value, version: `${value}:v` };
}

/** The shared epoch: part of every stored envelope; replaced to retire all stored values. */
export const EPOCH_KEY = `${CACHE_PREFIX}cache-epoch`;

/** Messages `<instance id> <logical key>`: a key was invalidated by that instance. */
export const INVALIDATION_CHANNEL = `${CACHE_PREFIX}cache-invalidations`;

/** Messages `<instance id> <epoch>`: that instance replaced the epoch. */
export const EPOCH_CHANNEL = `${CACHE_PREFIX}cache-epochs`;

/** Each instance publishes heartbeats to its own channel to prove its subscription works. */
export function heartbeatChannelOf(instanceId: string): string {
  return `${CACHE_PREFIX}cache-heartbeat:${instanceId}`;
}
