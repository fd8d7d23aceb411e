import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import type { Redis } from 'ioredis';
import { suite, type Test } from 'uvu';
import { CacheAside, type CacheAsideRead } from '../../src/cache/cache-aside.js';
import type { CachedDocument } from '../../src/cache/cache.js';
import { decodeEnvelope } from '../../src/cache/document-envelope.js';
import { LayeredCache, type LayeredCacheOptions } from '../../src/cache/layered-cache.js';
import { openRedisConnections } from '../../src/cache/redis-connection.js';
import { redisKeysOf } from '../../src/cache/redis-keys.js';
import { createLogger, type Logger } from '../../src/telemetry/logger.js';
import {
  shouldRunRedisSuites,
  startRedisServer,
  type RedisServer,
} from '../support/redis-server.js';

/**
 * A uvu suite with a private redis-server, stopped after the suite. Without redis-server
 * (and without REQUIRE_REDIS=1) the suite reports one placeholder test and its own tests
 * are not registered at all.
 */
export async function redisSuite(name: string): Promise<{ test: Test; redis: RedisServer }> {
  if (!shouldRunRedisSuites()) {
    const placeholder = suite(name);
    placeholder('is skipped: redis-server is not installed', () => undefined);
    placeholder.run();
    const inert: unknown = new Proxy(() => undefined, { get: () => inert });
    return { test: inert as Test, redis: inert as RedisServer };
  }

  const test = suite(name);
  const redis = await startRedisServer();
  test.after(() => redis.stop());
  return { test, redis };
}

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

/**
 * One "API instance" worth of cache: LayeredCache + CacheAside on its own connections, to a
 * Redis URL or to cluster seed nodes.
 */
export function openCacheNode(
  target: string | { clusterNodes: string[] },
  overrides: Partial<LayeredCacheOptions> = {},
): CacheNode {
  const logs = captureLog('debug');
  const connections = openRedisConnections({
    url: typeof target === 'string' ? target : null,
    clusterNodes: typeof target === 'string' ? null : target.clusterNodes,
    commandTimeoutMs: 150,
  });
  const cache = new LayeredCache({
    ...connections,
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

/**
 * A read as the server makes it: the near cache synchronously, else a cache-aside read
 * whose load reads `db` (optionally delayed, optionally paused after the database read).
 */
export function readThrough(
  node: CacheNode,
  db: FakeDatabase,
  key: string,
  options: { afterLoad?: () => Promise<void>; loadDelayMs?: number; ttlSeconds?: number } = {},
): Promise<CacheAsideRead<number>> {
  const near = node.aside.peek(key);
  if (near !== undefined) return Promise.resolve({ value: null, document: near, outcome: 'hit' });

  return node.aside.read(key, options.ttlSeconds ?? 60, async () => {
    if (options.loadDelayMs !== undefined) await sleep(options.loadDelayMs);
    const row = db.read(key);
    if (options.afterLoad !== undefined) await options.afterLoad();
    return { value: row.version, document: row.document };
  });
}

/** What Redis holds for `key`: the version in its envelope, or null (absent, undecodable). */
export async function storedVersion(raw: Redis, key: string): Promise<number | null> {
  const value = await raw.getBuffer(redisKeysOf(key).value);
  if (value === null) return null;

  const envelope = decodeEnvelope(value);
  if (envelope === null) return null;
  return (JSON.parse(envelope.document.body.toString()) as { version: number }).version;
}

/**
 * A client's network hop, for in-process tests: a round trip over a loopback TCP socket.
 * A request that a client sends after it saw a write acknowledged reaches another instance
 * through a socket, after the invalidation message Redis wrote before that acknowledgement;
 * an instance reads its sockets in arrival order. Calling a second in-process instance
 * directly would skip that hop, which no real client can do.
 */
export interface NetworkHop {
  cross(): Promise<void>;
  close(): void;
}

export async function openNetworkHop(): Promise<NetworkHop> {
  const server = createServer((socket) => socket.on('data', (data) => socket.write(data)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const idle: Socket[] = [];

  const connect = () =>
    new Promise<Socket>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => resolve(socket));
      socket.setNoDelay(true);
    });

  return {
    async cross() {
      const socket = idle.pop() ?? (await connect());
      await new Promise<void>((resolve) => {
        socket.once('data', () => resolve());
        socket.write('.');
      });
      idle.push(socket);
    },
    close() {
      for (const socket of idle) socket.destroy();
      server.close();
    },
  };
}
