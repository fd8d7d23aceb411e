import { Redis } from 'ioredis';
import * as assert from 'uvu/assert';
import { eventKey } from '../../src/domain/cache-keys.js';
import {
  FakeDatabase,
  openCacheNode,
  readThrough,
  redisSuite,
  sleep,
  versionOf,
  waitUntil,
  type CacheNode,
} from './cache-kit.js';

const { test, redis } = await redisSuite('cache during Redis outages');

const COMMAND_TIMEOUT_MS = 150;
const KEYS = Array.from({ length: 10 }, (_, i) => eventKey(i + 1));
const nodes: CacheNode[] = [];

async function pair(): Promise<[CacheNode, CacheNode]> {
  const opened: [CacheNode, CacheNode] = [openCacheNode(redis.url), openCacheNode(redis.url)];
  nodes.push(...opened);
  await recovered(opened);
  return opened;
}

async function recovered(pairOf: CacheNode[], timeoutMs = 15_000): Promise<void> {
  await waitUntil(
    () =>
      pairOf.every((node) => node.cache.isSharedLevelReady) &&
      new Set(pairOf.map((node) => node.cache.stats().shared?.epoch)).size === 1,
    timeoutMs,
    'both instances back on Redis',
  );
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedAt = performance.now();
  const value = await work();
  return { value, ms: performance.now() - startedAt };
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

async function warm(db: FakeDatabase, ...on: CacheNode[]): Promise<void> {
  for (const key of KEYS) {
    if (!db.versions.has(key)) db.write(key);
    for (const node of on) await readThrough(node, db, key);
  }
}

async function assertFresh(db: FakeDatabase, ...on: CacheNode[]): Promise<void> {
  for (const key of KEYS) {
    for (const node of on) {
      assert.is(versionOf(await readThrough(node, db, key)), db.versions.get(key), key);
    }
  }
}

test.after.each(async () => {
  await Promise.all(nodes.splice(0).map((node) => node.cache.close()));
});

test('keeps reads and writes working with bounded latency while Redis is killed, fresh after restart', async () => {
  const [a, b] = await pair();
  const db = new FakeDatabase();
  await warm(db, a, b);

  const latencies: number[] = [];
  const failures: unknown[] = [];
  let isRunning = true;
  const load = async (node: CacheNode) => {
    while (isRunning) {
      const key = KEYS[Math.floor(Math.random() * KEYS.length)] as string;
      try {
        const { ms } = await timed(async () => {
          if (Math.random() < 0.2) {
            db.write(key);
            await node.aside.invalidate([key]);
          } else {
            await readThrough(node, db, key, { loadDelayMs: 1 });
          }
        });
        latencies.push(ms);
      } catch (error) {
        failures.push(error);
      }
      await sleep(1);
    }
  };
  const running = [a, a, a, b, b, b].map(load);

  await sleep(300);
  await redis.kill();
  await sleep(1000);
  await redis.restart();
  await recovered([a, b]);
  isRunning = false;
  await Promise.all(running);

  const max = Math.max(...latencies);
  const p99 = percentile(latencies, 99);
  process.stdout.write(
    `\n  kill: ${latencies.length} operations, p50 ${percentile(latencies, 50).toFixed(2)} ms, ` +
      `p99 ${p99.toFixed(2)} ms, max ${max.toFixed(1)} ms\n`,
  );
  assert.equal(failures, []);
  assert.ok(max < 2 * COMMAND_TIMEOUT_MS + 100, `an operation took ${max} ms`);
  await assertFresh(db, a, b);

  const shared = a.cache.stats().shared;
  assert.ok(
    (shared?.missedInvalidations ?? 0) + (b.cache.stats().shared?.missedInvalidations ?? 0) > 0,
  );
  assert.ok(
    (shared?.epochReplacements ?? 0) + (b.cache.stats().shared?.epochReplacements ?? 0) > 0,
    'a new epoch retired what the outage left behind',
  );
  const levels = a.logs.lines.filter((line) => String(line.msg).includes('breaker'));
  assert.ok(
    levels.some((line) => line.level === 'warn' && line.msg === 'redis cache breaker open'),
  );
  assert.ok(
    levels.some((line) => line.level === 'info' && line.msg === 'redis cache breaker closed'),
  );
});

test('causes no burst of database reads once Redis is back', async () => {
  const [a, b] = await pair();
  const db = new FakeDatabase();
  await warm(db, a, b);

  await redis.kill();
  db.write(KEYS[0] as string);
  await a.aside.invalidate([KEYS[0] as string]); // missed: a new epoch follows the restart
  await redis.restart();
  await recovered([a, b]);
  const before = db.reads;
  await Promise.all(
    Array.from({ length: 500 }, (_, i) =>
      readThrough(i % 2 === 0 ? a : b, db, KEYS[i % KEYS.length] as string, { loadDelayMs: 5 }),
    ),
  );

  assert.ok(db.reads - before <= KEYS.length * 2, `${db.reads - before} database reads`);
  await assertFresh(db, a, b);
});

test('serves nothing stale when Redis restarts from a snapshot older than an invalidation', async () => {
  const [a, b] = await pair();
  const db = new FakeDatabase();
  // A key of its own: earlier tests leave documents of KEYS behind in this Redis.
  const key = eventKey(900);
  db.write(key);
  await readThrough(a, db, key);
  assert.is((await readThrough(b, db, key)).outcome, 'hit', 'filled into Redis');
  const admin = new Redis(redis.url);
  await admin.save();
  admin.disconnect();

  db.write(key);
  await a.aside.invalidate([key]); // confirmed by Redis, then undone by the snapshot below
  const epochBefore = a.cache.stats().shared?.epoch;
  await redis.restart();
  await recovered([a, b]);

  for (const node of [b, a]) {
    assert.is(versionOf(await readThrough(node, db, key)), 2, 'the version written last');
  }
  assert.is.not(a.cache.stats().shared?.epoch, epochBefore, 'a new epoch after the restart');
});

test('answers a write during a freeze within about one command timeout, fresh after resume', async () => {
  const [a, b] = await pair();
  const db = new FakeDatabase();
  await warm(db, a, b);
  const key = KEYS[0] as string;

  redis.pause();
  db.write(key);
  const write = await timed(() => a.aside.invalidate([key]));
  const readDuringFreeze = await timed(() => readThrough(a, db, key));
  await sleep(400);
  redis.resume();
  await recovered([a, b]);

  process.stdout.write(
    `  freeze: write waited ${write.ms.toFixed(1)} ms, read on the writer ${readDuringFreeze.ms.toFixed(1)} ms\n`,
  );
  assert.ok(write.ms < COMMAND_TIMEOUT_MS + 100, `the write waited ${write.ms} ms`);
  assert.is(versionOf(readDuringFreeze.value), 2, 'the writer reads its write during the freeze');
  assert.ok(readDuringFreeze.ms < COMMAND_TIMEOUT_MS + 100);
  await assertFresh(db, a, b);
  // The late invalidation ran when Redis resumed: nothing was missed, no new epoch needed.
  assert.is(a.cache.stats().shared?.missedInvalidations, 0);
});

test('replaces the epoch before reading Redis again when a freeze outlasts the socket timeout', async () => {
  const [a, b] = await pair();
  const db = new FakeDatabase();
  await warm(db, a, b);
  const key = KEYS[1] as string;
  const epochBefore = a.cache.stats().shared?.epoch;

  redis.pause();
  db.write(key);
  const write = await timed(() => a.aside.invalidate([key]));
  await sleep(2600);
  redis.resume();
  await recovered([a, b]);

  assert.ok(write.ms < COMMAND_TIMEOUT_MS + 100, `the write waited ${write.ms} ms`);
  assert.is(a.cache.stats().shared?.missedInvalidations, 1);
  assert.ok((a.cache.stats().shared?.epochReplacements ?? 0) >= 1);
  assert.is.not(a.cache.stats().shared?.epoch, epochBefore);
  await assertFresh(db, a, b);
});

test('stops paying the command timeout once the breaker is open', async () => {
  const [a] = await pair();
  const db = new FakeDatabase();
  await warm(db, a);

  redis.pause();
  const reads: number[] = [];
  for (let i = 0; i < 30; i++) {
    reads.push((await timed(() => a.cache.get(KEYS[i % KEYS.length] as string))).ms);
  }
  redis.resume();
  await recovered([a]);

  // Three consecutive timeouts open the breaker; later reads skip Redis at once.
  const slow = reads.filter((ms) => ms >= COMMAND_TIMEOUT_MS / 2).length;
  assert.is(slow, 3, `${slow} of 30 reads waited for the timeout`);
  assert.is(a.cache.stats().shared?.breaker, 'closed');
  assert.is(a.cache.stats().shared?.missedInvalidations, 0);
});

test.run();
