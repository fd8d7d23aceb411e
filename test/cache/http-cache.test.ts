import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as assert from 'uvu/assert';
import type { LayeredCache } from '../../src/cache/layered-cache.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { redisSuite, sleep, waitUntil } from './cache-kit.js';

const { test, redis } = await redisSuite('Redis cache over HTTP');

interface Organizer {
  id: number;
  name: string;
  email: string;
}

let folder: string;
let servers: [TestServer, TestServer];
let token: string;
const organizers: Organizer[] = [];

function layered(server: TestServer): LayeredCache {
  return server.api.cache as LayeredCache;
}

async function bothOnRedis(): Promise<void> {
  await waitUntil(
    () => servers.every((server) => layered(server).isSharedLevelReady),
    15_000,
    'both instances on Redis',
  );
}

function pick<T>(items: readonly T[]): T {
  return items[Math.floor(Math.random() * items.length)] as T;
}

/** Organizers with a rename in flight. */
const renaming = new Set<number>();

/**
 * Renames an organizer and records the name it now has. One rename per organizer at a time:
 * of two concurrent renames the database keeps the one that commits last, which need not be
 * the one whose answer arrives last, so the expected name would be a guess.
 */
async function rename(server: TestServer, organizer: Organizer, name: string): Promise<number> {
  if (renaming.has(organizer.id)) throw new Error(`organizer ${organizer.id} is being renamed`);
  renaming.add(organizer.id);
  try {
    const response = await server.request('PUT', `/organizer/update/${organizer.id}`, {
      token,
      body: { name, email: organizer.email },
    });
    if (response.status === 200) organizer.name = name;
    return response.status;
  } finally {
    renaming.delete(organizer.id);
  }
}

interface LoadResult {
  statuses: Map<number, number>;
  latencies: number[];
  writes: number;
}

/**
 * Reads every organizer and renames those in `renamed` through both instances until `stop`
 * resolves.
 */
async function underLoad(
  stop: Promise<void>,
  renamed: readonly Organizer[] = organizers,
  concurrency = 12,
): Promise<LoadResult> {
  const result: LoadResult = { statuses: new Map(), latencies: [], writes: 0 };
  let isRunning = true;
  void stop.then(() => (isRunning = false));

  const loop = async () => {
    while (isRunning) {
      const server = pick(servers);
      const startedAt = performance.now();
      let status: number;
      const idle = renamed.filter((organizer) => !renaming.has(organizer.id));
      if (Math.random() < 0.15 && idle.length > 0) {
        const organizer = pick(idle);
        status = await rename(server, organizer, `Organizer ${organizer.id} ${Date.now()}`);
        result.writes++;
      } else {
        status = (await server.request('GET', `/organizer/${pick(organizers).id}`)).status;
      }
      result.latencies.push(performance.now() - startedAt);
      result.statuses.set(status, (result.statuses.get(status) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
  return result;
}

function summary(result: LoadResult): string {
  const sorted = [...result.latencies].sort((a, b) => a - b);
  const at = (p: number) => (sorted[Math.floor((sorted.length - 1) * p)] ?? 0).toFixed(1);
  const statuses = [...result.statuses].map(([status, count]) => `${status}x${count}`).join(' ');
  return `${sorted.length} requests (${statuses}), p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
}

function serverErrors(result: LoadResult): number {
  return [...result.statuses].filter(([status]) => status >= 500).reduce((n, [, c]) => n + c, 0);
}

async function assertAllFresh(): Promise<void> {
  for (const organizer of organizers) {
    for (const server of servers) {
      const response = await server.request('GET', `/organizer/${organizer.id}`);
      assert.is(response.status, 200);
      assert.is(response.body.name, organizer.name, `organizer ${organizer.id}`);
    }
  }
}

test.before(async () => {
  folder = mkdtempSync(join(tmpdir(), 'eventflow-cache-'));
  const databaseUrl = `sqlite:${join(folder, 'eventflow.db')}`;
  // One secret for both instances, so a token from one is good on the other.
  const env = {
    REDIS_URL: redis.url,
    REDIS_COMMAND_TIMEOUT_MS: '150',
    JWT_SECRET: 'http-cache-test-secret-of-at-least-32-bytes',
  };
  const first = await startTestServer({ databaseUrl, env });
  servers = [first, await startTestServer({ databaseUrl, env })];
  token = await first.login();
  for (let i = 1; i <= 8; i++) {
    const email = `organizer${i}@example.test`;
    const created = await first.request('POST', '/organizer', {
      token,
      body: { name: `Organizer ${i}`, email },
    });
    assert.is(created.status, 201, created.text);
    organizers.push(created.body as Organizer);
  }
  await bothOnRedis();
});

test.after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(folder, { recursive: true, force: true });
});

test('shows a write on one instance to an immediate read on the other', async () => {
  const organizer = organizers[0] as Organizer;
  for (let round = 0; round < 20; round++) {
    const [writer, reader] = round % 2 === 0 ? servers : [servers[1], servers[0]];
    // The reader holds the current document in its near cache before the write.
    await reader.request('GET', `/organizer/${organizer.id}`);
    const cached = await reader.request('GET', `/organizer/${organizer.id}`);
    assert.is(cached.headers.get('x-cache'), 'hit');

    assert.is(await rename(writer, organizer, `Renamed ${round}`), 200);
    const read = await reader.request('GET', `/organizer/${organizer.id}`);

    assert.is(read.status, 200);
    assert.is(read.body.name, `Renamed ${round}`, `round ${round}`);
  }
});

test('answers 404 on both instances at once after a delete, also while cached', async () => {
  const created = await servers[0].request('POST', '/organizer', {
    token,
    body: { name: 'Short-lived', email: 'short@example.test' },
  });
  const id = (created.body as Organizer).id;
  for (const server of servers) {
    await server.request('GET', `/organizer/${id}`);
    assert.is((await server.request('GET', `/organizer/${id}`)).headers.get('x-cache'), 'hit');
  }

  assert.is((await servers[1].request('DELETE', `/organizer/delete/${id}`, { token })).status, 204);

  assert.is((await servers[0].request('GET', `/organizer/${id}`)).status, 404);
  assert.is((await servers[1].request('GET', `/organizer/${id}`)).status, 404);
});

test('serves every request while Redis is killed under load, fresh after restart', async () => {
  const baseline = await underLoad(sleep(800));
  const outage = underLoad(
    (async () => {
      await sleep(300);
      await redis.kill();
      await sleep(1200);
      await redis.restart();
      await sleep(500);
    })(),
  );
  const result = await outage;
  await bothOnRedis();

  process.stdout.write(`\n  baseline: ${summary(baseline)}\n  kill:     ${summary(result)}\n`);
  assert.is(serverErrors(result), 0, summary(result));
  assert.ok(Math.max(...result.latencies) < 1000, summary(result));
  await assertAllFresh();
});

test('serves every request while Redis is frozen during writes, fresh after resume', async () => {
  const organizer = organizers[1] as Organizer;
  await servers[1].request('GET', `/organizer/${organizer.id}`);

  let writeMs = 0;
  // The load reads this organizer but leaves its renames to the write under test.
  const others = organizers.filter((candidate) => candidate !== organizer);
  const result = await underLoad(
    (async () => {
      await sleep(200);
      redis.pause();
      const startedAt = performance.now();
      assert.is(await rename(servers[0], organizer, 'Renamed while frozen'), 200);
      writeMs = performance.now() - startedAt;
      const own = await servers[0].request('GET', `/organizer/${organizer.id}`);
      assert.is(own.body.name, 'Renamed while frozen', 'the writer reads its own write');
      await sleep(700);
      redis.resume();
      await sleep(300);
    })(),
    others,
  );
  await bothOnRedis();

  process.stdout.write(`  freeze:   ${summary(result)}; the write took ${writeMs.toFixed(1)} ms\n`);
  assert.is(serverErrors(result), 0, summary(result));
  assert.ok(Math.max(...result.latencies) < 1000, summary(result));
  await assertAllFresh();
});

test.run();
