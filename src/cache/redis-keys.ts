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

/**
 * Version keys only need to outlive the fills that read them (a fill is bounded by the
 * request deadline, 10 s by default). Tokens are unique, so one that expires early only
 * costs a refused fill, never a stale one; keeping it short bounds what reads of absent ids
 * leave behind in Redis. A filled document's version is kept as long as the document.
 */
export const VERSION_TTL_MS = 60_000;

/** The shared epoch: part of every stored envelope; replaced to retire all stored values. */
export const EPOCH_KEY = `${CACHE_PREFIX}cache-epoch`;

/** Messages `<instance id> <token> <logical key>`: that instance invalidated the key. */
export const INVALIDATION_CHANNEL = `${CACHE_PREFIX}cache-invalidations`;

/** Messages `<instance id> <epoch>`: that instance replaced the epoch. */
export const EPOCH_CHANNEL = `${CACHE_PREFIX}cache-epochs`;

/** Each instance publishes heartbeats to its own channel to prove its subscription works. */
export function heartbeatChannelOf(instanceId: string): string {
  return `${CACHE_PREFIX}cache-heartbeat:${instanceId}`;
}
