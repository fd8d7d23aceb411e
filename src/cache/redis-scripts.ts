import type { Cluster, Redis } from 'ioredis';

/**
 * The Lua scripts of the shared level. Each touches one document's value and version keys,
 * which share a hash tag (redis-keys.ts), so each runs atomically on one node, Cluster
 * included. Version tokens are unique strings chosen by the client (instance id + counter),
 * never counters, so a token that expired or was evicted can never come back and make an
 * old fill look current (no ABA).
 */

/**
 * KEYS: version, value. ARGV: fresh token, version ttl ms.
 * Returns [token] on a miss, [token, value, value pttl] when a value is stored. The token is
 * the key's current version; a missing version is created from the fresh token, so the
 * caller always leaves with a token that any later invalidation will replace.
 */
const READ = `
local token = redis.call('GET', KEYS[1])
if not token then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('DEL', KEYS[2])
  return {ARGV[1]}
end
local value = redis.call('GET', KEYS[2])
if not value then return {token} end
return {token, value, redis.call('PTTL', KEYS[2])}
`;

/**
 * KEYS: version, value. ARGV: token, envelope, ttl ms, version margin ms.
 * Stores the envelope only if the version is still the token the filler read before its
 * database read; keeps the version alive at least as long as the value. Returns 1 or 0.
 */
const FILL = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
local keep = tonumber(ARGV[3]) + tonumber(ARGV[4])
if redis.call('PTTL', KEYS[1]) < keep then redis.call('PEXPIRE', KEYS[1], keep) end
return 1
`;

/**
 * KEYS: version, value. ARGV: new token, version ttl ms, channel, message.
 * Replaces the version (every fill holding the old token is now refused), deletes the value
 * and tells the other instances, in one atomic step.
 */
const INVALIDATE = `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/** KEYS: epoch. ARGV: fresh epoch. Returns the current epoch, creating it when missing. */
const EPOCH = `
local epoch = redis.call('GET', KEYS[1])
if epoch then return epoch end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`;

/** KEYS: epoch. ARGV: new epoch, channel, message. Replaces the epoch and announces it. */
const REPLACE_EPOCH = `
redis.call('SET', KEYS[1], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return ARGV[1]
`;

export type ReadReply = [Buffer] | [Buffer, Buffer, number];

/** The scripts as ioredis methods (defineCommand adds them at run time). */
export interface CacheScripts {
  eventflowCacheReadBuffer(
    versionKey: string,
    valueKey: string,
    freshToken: string,
    versionTtlMs: number,
  ): Promise<ReadReply>;
  eventflowCacheFill(
    versionKey: string,
    valueKey: string,
    token: string,
    envelope: Buffer,
    ttlMs: number,
    versionMarginMs: number,
  ): Promise<number>;
  eventflowCacheInvalidate(
    versionKey: string,
    valueKey: string,
    newToken: string,
    versionTtlMs: number,
    channel: string,
    message: string,
  ): Promise<number>;
  eventflowCacheEpoch(epochKey: string, freshEpoch: string): Promise<string>;
  eventflowCacheReplaceEpoch(
    epochKey: string,
    newEpoch: string,
    channel: string,
    message: string,
  ): Promise<string>;
}

export type ScriptedClient = (Redis | Cluster) & CacheScripts;

/** Registers the scripts (EVALSHA, falling back to EVAL after a restart or failover). */
export function defineCacheScripts(client: Redis | Cluster): ScriptedClient {
  client.defineCommand('eventflowCacheRead', { numberOfKeys: 2, lua: READ });
  client.defineCommand('eventflowCacheFill', { numberOfKeys: 2, lua: FILL });
  client.defineCommand('eventflowCacheInvalidate', { numberOfKeys: 2, lua: INVALIDATE });
  client.defineCommand('eventflowCacheEpoch', { numberOfKeys: 1, lua: EPOCH });
  client.defineCommand('eventflowCacheReplaceEpoch', { numberOfKeys: 1, lua: REPLACE_EPOCH });
  return client as ScriptedClient;
}
