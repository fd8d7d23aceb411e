import { Writable } from 'node:stream';
import { CacheAside, type CacheAsideRead } from '../../src/cache/cache-aside.js';
import type { CachedDocument } from '../../src/cache/cache.js';
import { LayeredCache, type LayeredCacheOptions } from '../../src/cache/layered-cache.js';
import { openRedisConnections } from '../../src/cache/redis-connection.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';

/** Log lines a test can look at (pino JSON, parsed). */
export interface CapturedLog {
  log: Logger;
  lines: Array<Record<string, unknown>>;
}

export function captureLog(level = 'info'): CapturedLog {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { log: createLogger({ level, thread: 'main', destination }), lines };
}

export interface CacheNode {
  cache: LayeredCache;
  aside: CacheAside;
  logs: CapturedLog;
}

/** One "API instance" worth of cache: LayeredCache + CacheAside on its own connections. */
export function openCacheNode(
  redisUrl: string,
  overrides: Partial<LayeredCacheOptions> = {},
): CacheNode {
  const logs = captureLog('debug');
  const cache = new LayeredCache({
    ...openRedisConnections({ url: redisUrl, clusterNodes: null, commandTimeoutMs: 150 }),
    commandTimeoutMs: 150,
    nearTtlSeconds: 3,
    nearMaxBytes: 4 * 1024 * 1024,
    log: logs.log,
    coolDownMs: 300,
    heartbeatIntervalMs: 250,
    heartbeatTimeoutMs: 1000,
    ...overrides,
  });
  return { cache, aside: new CacheAside(cache), logs };
}

export async function waitUntil(
  condition: () => boolean,
  timeoutMs = 5000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A released-on-demand barrier, to pause a load at an exact point. */
export class Gate {
  #open!: () => void;
  readonly opened = new Promise<void>((resolve) => (this.#open = resolve));

  open(): void {
    this.#open();
  }
}

/**
 * A stand-in for the database: each key holds a version number, a read answers the version
 * committed when the read happened, and reads are counted. The cache and Redis are real; this
 * only lets a test pause a read or count them exactly.
 */
export class FakeDatabase {
  readonly versions = new Map<string, number>();
  reads = 0;
  readsByKey = new Map<string, number>();

  write(key: string): number {
    const version = (this.versions.get(key) ?? 0) + 1;
    this.versions.set(key, version);
    return version;
  }

  delete(key: string): void {
    this.versions.set(key, -1);
  }

  /** The committed version now, as a document (null when absent or deleted). */
  read(key: string): { version: number; document: CachedDocument | null } {
    this.reads++;
    this.readsByKey.set(key, (this.readsByKey.get(key) ?? 0) + 1);
    const version = this.versions.get(key) ?? 0;
    return { version, document: version < 0 ? null : documentOf(key, version) };
  }
}

export function documentOf(key: string, version: number): CachedDocument {
  return { body: Buffer.from(JSON.stringify({ key, version })), etag: `"${key}-${version}"` };
}

/** The version a cache-aside read returned, whether from a cache or from the load. */
export function versionOf(read: CacheAsideRead<number>): number {
  if (read.document !== null) {
    return (JSON.parse(read.document.body.toString()) as { version: number }).version;
  }
  return read.value ?? -1;
}

/** A cache-aside read through `node` against `db`, with an optional pause after the load. */
export function readThrough(
  node: CacheNode,
  db: FakeDatabase,
  key: string,
  options: { afterLoad?: () => Promise<void>; loadDelayMs?: number; ttlSeconds?: number } = {},
): Promise<CacheAsideRead<number>> {
  return node.aside.read(key, options.ttlSeconds ?? 60, async () => {
    if (options.loadDelayMs !== undefined) await sleep(options.loadDelayMs);
    const row = db.read(key);
    if (options.afterLoad !== undefined) await options.afterLoad();
    return { value: row.version, document: row.document };
  });
}
