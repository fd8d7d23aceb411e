import { Cluster } from 'ioredis';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseNode } from '../../src/cache/redis-connection.js';
import { EPOCH_CHANNEL, EPOCH_KEY, redisKeysOf } from '../../src/cache/redis-keys.js';
import { eventKey, STATISTICS_KEY } from '../../src/domain/cache-keys.js';
import {
  shouldRunRedisSuites,
  startRedisCluster,
  type RedisCluster,
} from '../support/redis-server.js';
import {
  FakeDatabase,
  Gate,
  openCacheNode,
  readThrough,
  versionOf,
  waitUntil,
  type CacheNode,
} from './cache-kit.js';

const test = suite('LayeredCache on Redis Cluster');
const isEnabled = shouldRunRedisSuites();

let cluster: RedisCluster;
let raw: Cluster;
const nodes: CacheNode[] = [];

async function node(): Promise<CacheNode> {
  const opened = openCacheNode({ clusterNodes: cluster.nodes });
  nodes.push(opened);
  await waitUntil(() => opened.cache.isSharedLevelReady, 10_000, 'the Redis level');
  return opened;
}

if (!isEnabled) {
  test('is skipped: redis-server is not installed', () => undefined);
} else {
  test.before(async () => {
    cluster = await startRedisCluster(3);
    raw = new Cluster(cluster.nodes.map(parseNode));
  });

  test.after.each(async () => {
    await Promise.all(nodes.splice(0).map((opened) => opened.cache.close()));
  });

  test.after(async () => {
    raw.disconnect();
    await cluster.stop();
  });

  test('keeps each document and its version in one slot, so every script runs on one node', async () => {
    for (const key of [eventKey(1), eventKey(987_654), STATISTICS_KEY]) {
      const { value, version } = redisKeysOf(key);
      const [valueSlot, versionSlot] = await Promise.all([
        raw.cluster('KEYSLOT', value),
        raw.cluster('KEYSLOT', version),
      ]);
      assert.is(valueSlot, versionSlot, key);
    }
  });

  test('shares fills, invalidations and their messages between instances', async () => {
    const [a, b] = [await node(), await node()];
    const db = new FakeDatabase();
    const keys = Array.from({ length: 12 }, (_, i) => eventKey(i + 1));
    for (const key of keys) {
      db.write(key);
      await readThrough(a, db, key);
    }
    for (const key of keys) assert.is((await readThrough(b, db, key)).outcome, 'hit', key);
    assert.is(db.reads, keys.length);

    for (const key of keys) {
      db.write(key);
      await a.aside.invalidate([key]);
    }
    await waitUntil(() => keys.every((key) => b.aside.peek(key) === undefined), 2000, 'messages');
    for (const key of keys) assert.is(versionOf(await readThrough(b, db, key)), 2, key);
  });

  test('refuses a fill that loaded before a write on another instance', async () => {
    const [a, b] = [await node(), await node()];
    const db = new FakeDatabase();
    const key = eventKey(50);
    db.write(key);
    const hasLoaded = new Gate();
    const resume = new Gate();
    const early = readThrough(a, db, key, {
      afterLoad: async () => {
        hasLoaded.open();
        await resume.opened;
      },
    });
    await hasLoaded.opened;

    db.write(key);
    await b.aside.invalidate([key]);
    resume.open();
    await early;

    assert.is(a.cache.stats().shared?.rejectedFills, 1);
    assert.is(versionOf(await readThrough(a, db, key)), 2);
    assert.is(versionOf(await readThrough(b, db, key)), 2);
  });

  test('makes hundreds of concurrent cold reads cost one database read', async () => {
    const a = await node();
    const db = new FakeDatabase();
    const key = eventKey(60);
    db.write(key);

    await Promise.all(
      Array.from({ length: 300 }, () => readThrough(a, db, key, { loadDelayMs: 20 })),
    );

    assert.is(db.reads, 1);
  });

  test('follows an epoch replaced on any node', async () => {
    const [a, b] = [await node(), await node()];
    await raw.set(EPOCH_KEY, 'cluster-epoch');
    await raw.publish(EPOCH_CHANNEL, 'someone cluster-epoch');

    await waitUntil(
      () => [a, b].every((n) => n.cache.stats().shared?.epoch === 'cluster-epoch'),
      3000,
      'the new epoch',
    );
  });
}

test.run();
