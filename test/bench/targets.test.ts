import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { RanScenario } from '../../bench/report.js';
import {
  checkTarget,
  measurementWarnings,
  OTHER_PROCESSES_WARN_PERCENT,
} from '../../bench/targets.js';

const spec = {
  claim: 'near-cache hit / bare uWS',
  min: 0.85,
  why: 'the near cache answers on the main thread',
};

function side(name: string, overrides: Partial<RanScenario> = {}): RanScenario {
  return {
    status: 'ran',
    name,
    title: name,
    profile: 'cached',
    measures: '',
    limitedBy: '',
    bottleneck: 'server CPU saturated (server 95% of 100%; load generator 60%)',
    connections: 32,
    pipelining: 1,
    rounds: 5,
    durationSeconds: 15,
    requests: 1000,
    requestsPerSecond: 100,
    latencyMs: { p50: 1, p90: 2, p99: 3, mean: 1, max: 4 },
    errors: 0,
    timeouts: 0,
    non2xx: 0,
    expectedConflicts: 0,
    expectedConflictLabel: null,
    unexpectedNon2xx: 0,
    statusCodes: { '200': 1000 },
    cacheOutcomes: null,
    peakRssMiB: 100,
    serverCpuPercent: 95,
    serverCpuMicrosPerRequest: 10,
    loadCpuPercent: 60,
    serverCoresBusyPercent: 97,
    loadCoresBusyPercent: 62,
    redisCpuPercent: null,
    otherServerCorePercent: 2,
    cacheLevels: null,
    notes: [],
    ...overrides,
  };
}

const targets = suite('bench checkTarget');

targets('meets the target at the floor and prints the verdict line', () => {
  const target = checkTarget(spec, 0.85, '0.85x');

  assert.is(target.verdict, 'met');
  assert.is(target.line, 'near-cache hit / bare uWS: 0.85x (target >= 0.85: met)');
});

targets('misses it below the floor', () => {
  assert.is(checkTarget(spec, 0.84, '0.84x').verdict, 'missed');
});

targets('says not measured when a side did not run', () => {
  const target = checkTarget(spec, null, 'n/a (scenario not run)');

  assert.is(target.verdict, 'not measured');
  assert.is(
    target.line,
    'near-cache hit / bare uWS: n/a (scenario not run) (target >= 0.85: not measured)',
  );
});

targets.run();

const warnings = suite('bench measurementWarnings');

warnings('has nothing to say about alternated rounds on a quiet server core', () => {
  assert.equal(measurementWarnings([side('a'), side('b')], 'rate'), []);
});

warnings('warns when other processes took a large share of the server core', () => {
  const busy = side('b', { otherServerCorePercent: OTHER_PROCESSES_WARN_PERCENT + 15 });

  assert.equal(measurementWarnings([side('a'), busy], 'cpu'), [
    `other processes took ${OTHER_PROCESSES_WARN_PERCENT + 15}% of a server core while b was measured`,
  ]);
});

warnings('warns about one unalternated round, and an unknown share when unpinned', () => {
  const found = measurementWarnings(
    [side('a', { rounds: 1, otherServerCorePercent: null }), side('b', { rounds: 1 })],
    'rate',
  );

  assert.is(found.length, 2);
  assert.match(found[0] ?? '', /unknown .* for a$/);
  assert.match(found[1] ?? '', /^one round each, not alternated/);
});

warnings('warns about a saturated load generator for rates but not for CPU per request', () => {
  const saturated = side('a', {
    bottleneck: 'load generator saturated (load generator 97% of its core; server 70% of 100%)',
  });

  assert.equal(measurementWarnings([saturated, side('b')], 'cpu'), []);
  assert.match(measurementWarnings([saturated, side('b')], 'rate')[0] ?? '', /load generator/);
});

warnings.run();
