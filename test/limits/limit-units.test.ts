import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ClientRateLimiter } from '../../src/limits/client-rate-limiter.js';
import { HashingGate } from '../../src/limits/hashing-gate.js';
import { MemoryRateLimitStore } from '../../src/limits/memory-rate-limit-store.js';
import type { RateQuota } from '../../src/limits/rate-limit-store.js';
import { createLogger } from '../../src/telemetry/logger.js';

const quota: RateQuota = { name: 'login-account', limit: 3, windowMs: 60_000 };

const store = suite('MemoryRateLimitStore');

store('allows the quota, refuses beyond it and says when the window resets', () => {
  let now = 1_000;
  const windows = new MemoryRateLimitStore({ now: () => now });

  const decisions = [1, 2, 3, 4].map(() => windows.take(quota, 'ana@example.test'));
  now += 15_000;
  const later = windows.take(quota, 'ana@example.test');

  assert.equal(
    decisions.map((decision) => [decision.isAllowed, decision.remaining]),
    [
      [true, 2],
      [true, 1],
      [true, 0],
      [false, 0],
    ],
  );
  assert.is(decisions[3]?.resetMs, 60_000);
  assert.is(later.isAllowed, false);
  assert.is(later.resetMs, 45_000);
});

store('opens a whole new window once the old one has closed', () => {
  let now = 0;
  const windows = new MemoryRateLimitStore({ now: () => now });
  for (let i = 0; i < 5; i++) windows.take(quota, 'ana');

  now += 60_000;

  const decision = windows.take(quota, 'ana');
  assert.is(decision.isAllowed, true);
  assert.is(decision.remaining, 2);
});

store('counts subjects and quotas apart', () => {
  const windows = new MemoryRateLimitStore();
  const other: RateQuota = { ...quota, name: 'login-address' };
  for (let i = 0; i < 3; i++) windows.take(quota, 'ana');

  assert.is(windows.take(quota, 'bob').isAllowed, true);
  assert.is(windows.take(other, 'ana').isAllowed, true);
  assert.is(windows.take(quota, 'ana').isAllowed, false);
});

store('a refund gives one unit back, never below zero', () => {
  const windows = new MemoryRateLimitStore();
  for (let i = 0; i < 3; i++) windows.take(quota, 'ana');

  windows.give(quota, 'ana');
  windows.give(quota, 'nobody');

  assert.is(windows.take(quota, 'ana').isAllowed, true);
  assert.is(windows.take(quota, 'ana').isAllowed, false);
  assert.is(windows.take(quota, 'nobody').remaining, 2);
});

store('stays within its subject budget, dropping the oldest windows first', () => {
  const windows = new MemoryRateLimitStore({ maxSubjects: 100 });
  for (let i = 0; i < 3; i++) windows.take(quota, 'first');
  for (let i = 0; i < 1000; i++) windows.take(quota, `subject-${i}`);

  assert.ok(windows.size <= 100, `${windows.size} subjects held`);
  assert.is(windows.take(quota, 'first').remaining, 2, 'the oldest window was dropped');
});

store.run();

const gate = suite('HashingGate');

gate('lets `concurrency` in, queues up to the limit in order and refuses the rest', async () => {
  const hashing = new HashingGate({ concurrency: 2, queueLimit: 2 });
  const order: string[] = [];

  const first = await hashing.enter();
  const second = await hashing.enter();
  const third = hashing.enter()?.then((release) => (order.push('third'), release));
  const fourth = hashing.enter()?.then((release) => (order.push('fourth'), release));
  const fifth = hashing.enter();

  assert.ok(first !== null && second !== null);
  assert.is(fifth, null, 'the fifth finds the queue full');
  assert.is(hashing.running, 2);
  assert.is(hashing.queued, 2);

  first();
  first();
  const thirdRelease = await third;
  assert.equal(order, ['third'], 'releasing twice hands over one turn only');
  assert.is(hashing.running, 2);
  assert.is(hashing.queued, 1);

  second();
  const fourthRelease = await fourth;
  thirdRelease?.();
  fourthRelease?.();
  assert.equal(order, ['third', 'fourth']);
  assert.is(hashing.running, 0);
  assert.is(hashing.queued, 0);
});

gate.run();

const clients = suite('ClientRateLimiter (one process)');
const log = createLogger({ level: 'silent', thread: 'main' });

/** 3 requests per 1 s window, counted in this process, on the given clock. */
function localLimiter(now: () => number): ClientRateLimiter {
  return new ClientRateLimiter({
    quota: { name: 'client', limit: 3, windowMs: 1000 },
    redis: null,
    commandTimeoutMs: 100,
    log,
    now,
  });
}

clients('admits `limit` requests per clock-aligned window and then refuses', () => {
  let now = 10_250;
  const limiter = localLimiter(() => now);

  const admitted = [1, 2, 3, 4].map(() => limiter.admit('10.0.0.1').isAllowed);
  const refusal = limiter.admit('10.0.0.1');
  const otherClient = limiter.admit('10.0.0.2').isAllowed;
  now = 11_000;
  const nextWindow = limiter.admit('10.0.0.1');
  limiter.close();

  assert.equal(admitted, [true, true, true, false]);
  assert.is(refusal.resetMs, 750, 'windows end on the clock: 11 000 ms');
  assert.is(otherClient, true);
  assert.is(nextWindow.isAllowed, true);
  assert.is(nextWindow.remaining, 2);
});

clients('sync forgets the windows that have ended', async () => {
  let now = 0;
  const limiter = localLimiter(() => now);
  for (let i = 0; i < 50; i++) limiter.admit(`10.0.0.${i}`);

  now = 1000;
  await limiter.sync();
  const size = limiter.size;
  limiter.close();

  assert.is(size, 0);
});

clients.run();
