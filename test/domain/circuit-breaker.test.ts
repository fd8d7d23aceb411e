import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CircuitBreaker, type BreakerState } from '../../src/domain/circuit-breaker.js';

const test = suite('CircuitBreaker');

function breakerAt(clock: { now: number }, changes: BreakerState[] = []) {
  return new CircuitBreaker({
    failureThreshold: 3,
    coolDownMs: 1000,
    now: () => clock.now,
    onChange: (state) => changes.push(state),
  });
}

test('opens after the threshold of consecutive failures, not before', () => {
  const breaker = breakerAt({ now: 0 });
  breaker.recordFailure(new Error('one'));
  breaker.recordFailure(new Error('two'));
  assert.is(breaker.state, 'closed');

  breaker.recordFailure(new Error('three'));
  assert.is(breaker.state, 'open');
});

test('forgets failures after a success', () => {
  const breaker = breakerAt({ now: 0 });
  breaker.recordFailure(null);
  breaker.recordFailure(null);
  breaker.recordSuccess();
  breaker.recordFailure(null);
  breaker.recordFailure(null);

  assert.is(breaker.state, 'closed');
});

test('lets one probe through after the cool-down and closes only from half-open', () => {
  const clock = { now: 0 };
  const changes: BreakerState[] = [];
  const breaker = breakerAt(clock, changes);
  breaker.trip(new Error('invalidation failed'));

  assert.is(breaker.tryHalfOpen(), false, 'still cooling down');
  clock.now = 1000;
  assert.is(breaker.tryHalfOpen(), true);
  assert.is(breaker.tryHalfOpen(), false, 'one probe at a time');
  breaker.close();

  assert.is(breaker.state, 'closed');
  assert.equal(changes, ['open', 'half-open', 'closed']);
});

test('reopens for another cool-down when tripped while half-open', () => {
  const clock = { now: 0 };
  const breaker = breakerAt(clock);
  breaker.trip(null);
  clock.now = 1000;
  breaker.tryHalfOpen();

  breaker.trip(new Error('probe failed'));
  breaker.close();

  assert.is(breaker.state, 'open');
  clock.now = 1500;
  assert.is(breaker.isDueForProbe, false);
  clock.now = 2000;
  assert.is(breaker.isDueForProbe, true);
});

test.run();
