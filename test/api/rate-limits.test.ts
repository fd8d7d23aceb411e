/**
 * Login limits, the per-client limit and the password-hashing gate, over HTTP against one
 * server (SQLite, limits in memory; test/limits/redis-limits.test.ts covers Redis). The
 * server trusts one proxy hop, so each test speaks for its own client addresses through
 * `X-Forwarded-For` and no test spends another's quota.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import { sqliteDialect } from '../support/dialects.js';
import { ApiFixture, expectStatus, nextNumber, type ApiResponse } from './api-fixture.js';

const PASSWORD = 'correct horse battery staple';
const CLIENT_LIMIT = 30;

const api = new ApiFixture(sqliteDialect(), {
  env: {
    LOGIN_ACCOUNT_LIMIT: '5',
    LOGIN_ADDRESS_LIMIT: '8',
    LOGIN_LIMIT_WINDOW_SECONDS: '300',
    CLIENT_RATE_LIMIT: String(CLIENT_LIMIT),
    CLIENT_RATE_WINDOW_SECONDS: '60',
    TRUST_PROXY_HOPS: '1',
    HASH_CONCURRENCY: '2',
    HASH_QUEUE_LIMIT: '6',
  },
});

let addressCounter = 0;

/** A client address no other request of this file has used. */
function newClient(): string {
  addressCounter++;
  return `10.${Math.floor(addressCounter / 250)}.${addressCounter % 250}.7`;
}

function uniqueEmail(): string {
  return `limited${nextNumber()}.${process.pid}@example.test`;
}

function login(client: string, email: string, password: string): Promise<ApiResponse> {
  return api.request('POST', '/authentication/login', {
    body: { email, password },
    headers: { 'x-forwarded-for': client },
  });
}

async function register(client: string, email: string): Promise<void> {
  const response = await api.request('POST', '/authentication/register', {
    body: { username: `User ${nextNumber()}`, email, password: PASSWORD },
    headers: { 'x-forwarded-for': client },
  });
  expectStatus(response, 201);
}

/** Fails `count` logins of `email` from `client`, checking each is a plain 401. */
async function failLogins(client: string, email: string, count: number): Promise<void> {
  for (let attempt = 0; attempt < count; attempt++) {
    const response = await login(client, email, 'guessing wrong');
    assertProblem(response, 401, 'INVALID_CREDENTIALS');
  }
}

/** Checks a 429 and its headers; returns the RateLimit-Policy it names. */
function assertLimited(response: ApiResponse, operationId: string): string {
  assertProblem(response, 429, 'RATE_LIMITED');
  assertMatchesContract(operationId, response);
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1, `Retry-After ${retryAfter}`);
  const policy = response.headers.get('ratelimit-policy') ?? '';
  const name = /^"([a-z-]+)";q=\d+;w=\d+$/.exec(policy)?.[1];
  assert.ok(name !== undefined, `RateLimit-Policy: ${policy}`);
  assert.is(response.headers.get('ratelimit'), `"${name}";r=0;t=${retryAfter}`);
  return policy;
}

const test = suite('rate limits');
test.before(() => api.start());
test.after(() => api.stop());

test('refuses an account after 5 failed logins, even with the right password', async () => {
  const client = newClient();
  const email = uniqueEmail();
  await register(client, email);

  await failLogins(client, email, 5);
  const sixth = await login(client, email, 'guessing wrong');
  const rightPassword = await login(newClient(), email, PASSWORD);

  assert.is(assertLimited(sixth, 'auth.login'), '"login-account";q=5;w=300');
  assert.is(assertLimited(rightPassword, 'auth.login'), '"login-account";q=5;w=300');
  const retryAfter = Number(sixth.headers.get('retry-after'));
  assert.ok(retryAfter > 250 && retryAfter <= 300, `Retry-After ${retryAfter}`);
});

test('answers an unknown e-mail exactly as a known one, limit included', async () => {
  const known = uniqueEmail();
  const unknown = uniqueEmail();
  await register(newClient(), known);

  await failLogins(newClient(), known, 5);
  await failLogins(newClient(), unknown, 5);
  const [forKnown, forUnknown] = [
    await login(newClient(), known, 'guessing wrong'),
    await login(newClient(), unknown, 'guessing wrong'),
  ];

  assert.is(assertLimited(forKnown, 'auth.login'), assertLimited(forUnknown, 'auth.login'));
  const strip = ({ traceId: _traceId, ...body }: Record<string, unknown>) => body;
  assert.equal(strip(forKnown.body), strip(forUnknown.body));
});

test('counts only failures: a successful login gives its attempt back', async () => {
  const client = newClient();
  const email = uniqueEmail();
  await register(client, email);

  await failLogins(client, email, 4);
  expectStatus(await login(client, email, PASSWORD), 200);
  await failLogins(client, email, 1);

  assertLimited(await login(client, email, 'guessing wrong'), 'auth.login');
});

test('refuses a client address after 8 failed logins over any accounts', async () => {
  const client = newClient();
  for (let attempt = 0; attempt < 8; attempt++) await failLogins(client, uniqueEmail(), 1);

  const fromThere = await login(client, uniqueEmail(), 'guessing wrong');
  const fromElsewhere = await login(newClient(), uniqueEmail(), 'guessing wrong');

  assert.is(assertLimited(fromThere, 'auth.login'), '"login-address";q=8;w=300');
  assertProblem(fromElsewhere, 401, 'INVALID_CREDENTIALS');
});

test('the per-client limit admits exactly its quota, then 429 on every API route', async () => {
  // Windows follow the clock: start well inside one so the burst cannot straddle two.
  while (Date.now() % 60_000 > 55_000) await new Promise((done) => setTimeout(done, 250));
  const client = newClient();
  const headers = { 'x-forwarded-for': client };

  const statuses: number[] = [];
  for (let index = 0; index < CLIENT_LIMIT + 5; index++) {
    statuses.push((await api.request('GET', '/event/all', { headers })).status);
  }
  const read = await api.request('GET', '/event/2147483647', { headers });
  const write = await api.request('POST', '/organizer', {
    body: { name: 'Limited', email: 'limited@example.test' },
    token: api.token,
    headers,
  });
  const live = await api.request('GET', '/health/live', { headers });
  const ready = await api.request('GET', '/health/ready', { headers });
  const otherClient = await api.request('GET', '/event/all', {
    headers: { 'x-forwarded-for': newClient() },
  });

  assert.is(statuses.filter((status) => status === 200).length, CLIENT_LIMIT);
  assert.equal(statuses.slice(CLIENT_LIMIT), [429, 429, 429, 429, 429]);
  assert.is(assertLimited(read, 'event.get'), `"client";q=${CLIENT_LIMIT};w=60`);
  assertLimited(write, 'organizer.create');
  expectStatus(live, 200);
  expectStatus(ready, 200);
  expectStatus(otherClient, 200);
});

test('a login flood gets 503 beyond the hashing queue while reads keep flowing', async () => {
  let isFlooding = true;
  const readLatencies: number[] = [];
  const readStatuses: number[] = [];
  const reader = async () => {
    while (isFlooding) {
      const headers = { 'x-forwarded-for': newClient() };
      const startedAt = performance.now();
      // A filter no other read used: a list is never cached, so each read is a pool task.
      const path = `/event/all?filter=x${nextNumber()}`;
      readStatuses.push((await api.request('GET', path, { headers })).status);
      readLatencies.push(performance.now() - startedAt);
    }
  };
  const readers = [reader(), reader(), reader()];

  const flood = await Promise.all(
    Array.from({ length: 60 }, () => login(newClient(), uniqueEmail(), 'guessing wrong')),
  );
  isFlooding = false;
  await Promise.all(readers);

  const refused = flood.filter((response) => response.status === 503);
  const checked = flood.filter((response) => response.status === 401);
  assert.is(refused.length + checked.length, 60, flood.map((r) => r.status).join(','));
  assert.ok(refused.length >= 30, `${refused.length} of 60 refused`);
  for (const response of refused) {
    assertProblem(response, 503, 'SERVICE_UNAVAILABLE');
    assertMatchesContract('auth.login', response);
    assert.is(response.headers.get('retry-after'), '1');
  }
  assert.ok(readStatuses.length >= 3, `${readStatuses.length} reads`);
  const notOk = readStatuses.filter((status) => status !== 200);
  assert.equal(notOk, [], `${notOk.length} of ${readStatuses.length} reads failed`);
  const slowest = Math.max(...readLatencies);
  assert.ok(slowest < 1500, `slowest read during the flood: ${Math.round(slowest)} ms`);
});

test.run();
