/**
 * Limits counted in Redis: two API instances on one private redis-server share the login
 * and per-client counters, Redis holds digests rather than e-mail addresses, and with Redis
 * killed the limits go on per instance, without errors.
 */
import { Redis } from 'ioredis';
import * as assert from 'uvu/assert';
import { windowKey } from '../../src/limits/redis-rate-limit-store.js';
import { redisSuite, sleep } from '../cache/cache-kit.js';
import { sqliteDialect, type TestDialect } from '../support/dialects.js';
import { startTestServer, type TestResponse, type TestServer } from '../support/server.js';

const { test, redis } = await redisSuite('limits in Redis');

const CLIENT_LIMIT = 20;
let dialect: TestDialect;
let servers: [TestServer, TestServer];
let inspector: Redis;
let counter = 0;

function uniqueEmail(): string {
  return `shared${++counter}.${process.pid}@example.test`;
}

function failLogin(server: TestServer, email: string, client: string): Promise<TestResponse> {
  return server.request('POST', '/authentication/login', {
    body: { email, password: 'guessing wrong' },
    headers: { 'x-forwarded-for': client },
  });
}

async function limitKeys(): Promise<string[]> {
  return (await inspector.keys('eventflow:v1:limit:*')).sort();
}

test.before(async () => {
  dialect = sqliteDialect();
  const env = {
    REDIS_URL: redis.url,
    LOGIN_ACCOUNT_LIMIT: '5',
    CLIENT_RATE_LIMIT: String(CLIENT_LIMIT),
    CLIENT_RATE_WINDOW_SECONDS: '60',
    TRUST_PROXY_HOPS: '1',
  };
  servers = [
    await startTestServer({ databaseUrl: dialect.url, env }),
    await startTestServer({ databaseUrl: dialect.url, env }),
  ];
  inspector = new Redis(redis.url);
});

test.after(async () => {
  inspector.disconnect();
  for (const server of servers) await server.stop();
  await dialect.cleanup();
});

test('failed logins on either instance count against one account', async () => {
  const [a, b] = servers;
  const email = uniqueEmail();

  const statuses: number[] = [];
  for (const server of [a, a, a, b, b]) {
    statuses.push((await failLogin(server, email, `10.1.0.${++counter}`)).status);
  }
  const sixthOnA = await failLogin(a, email, `10.1.0.${++counter}`);
  const seventhOnB = await failLogin(b, email, `10.1.0.${++counter}`);

  assert.equal(statuses, [401, 401, 401, 401, 401]);
  assert.is(sixthOnA.status, 429);
  assert.is(seventhOnB.status, 429);
  assert.is(sixthOnA.headers.get('ratelimit-policy'), '"login-account";q=5;w=300');
});

test('Redis holds the counters under digests, never the e-mail address', async () => {
  const email = uniqueEmail();
  await failLogin(servers[0], email, '10.2.0.1');

  const keys = await limitKeys();
  const accountKeys = keys.filter((key) => key.startsWith('eventflow:v1:limit:login-account:'));
  assert.ok(accountKeys.length >= 2, keys.join(' '));
  for (const key of keys) {
    assert.not.ok(key.includes('@') || key.includes('10.2.0.1'), key);
    assert.ok((await inspector.pttl(key)) > 0, `${key} expires`);
  }
});

test('the per-client limit adds up across instances after one sync', async () => {
  const [a, b] = servers;
  while (Date.now() % 60_000 > 55_000) await sleep(250);
  const headers = { 'x-forwarded-for': '10.3.0.1' };

  const onA: number[] = [];
  for (let index = 0; index < CLIENT_LIMIT; index++) {
    onA.push((await a.request('GET', '/event/all', { headers })).status);
  }
  await sleep(300);
  // B has not seen this client yet: it admits until its own first sync tells it the total.
  const firstOnB = await b.request('GET', '/event/all', { headers });
  await sleep(300);
  const afterSync = await b.request('GET', '/event/all', { headers });
  const againOnA = await a.request('GET', '/event/all', { headers });

  assert.ok(
    onA.every((status) => status === 200),
    onA.join(','),
  );
  assert.is(firstOnB.status, 200);
  assert.is(afterSync.status, 429);
  assert.is(againOnA.status, 429);
  const quota = { name: 'client', limit: CLIENT_LIMIT, windowMs: 60_000 };
  const key = `${windowKey(quota, '10.3.0.1')}:${Math.floor(Date.now() / 60_000)}`;
  assert.is(Number(await inspector.get(key)), CLIENT_LIMIT + 1, 'admitted on both, in Redis');
});

test('with Redis killed, logins are still limited per instance and never fail', async () => {
  const [a] = servers;
  await redis.kill();
  const email = uniqueEmail();

  const statuses: number[] = [];
  const latencies: number[] = [];
  for (let attempt = 0; attempt < 7; attempt++) {
    const startedAt = performance.now();
    statuses.push((await failLogin(a, email, `10.4.0.${attempt}`)).status);
    latencies.push(performance.now() - startedAt);
  }
  await redis.restart();

  assert.equal(statuses, [401, 401, 401, 401, 401, 429, 429]);
  // A refused login does no hashing; a counted one waits at most for the command timeout.
  assert.ok(Math.max(...latencies) < 2000, latencies.map(Math.round).join(','));
});

test.run();
