/**
 * `npm run bench -- --quick` end to end: runs the compiled bench (dist/bench/run.js) into a
 * temporary folder and checks the report's structure: every scenario present and either run
 * with requests and no errors, or skipped for a documented reason; ratios measured; the
 * design targets printed with a verdict and their caveats; machine and placement described.
 * It does not assert speed: absolute numbers are noise on shared machines.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BenchReport, RanScenario, Ratio, ScenarioReport } from '../../bench/report.js';
import { SCENARIOS, scenarioByName } from '../../bench/scenarios.js';
import { OTHER_PROCESSES_WARN_PERCENT } from '../../bench/targets.js';

/** Generous: the quick run takes 1.5 to 1.7 minutes here; this only catches a hang. */
const TIMEOUT_MS = 5 * 60_000;

const NO_REDIS = /^n\/a \(no --redis-url and no redis-server/;

/** Scenarios that may be skipped, and the only reasons allowed. */
const ALLOWED_SKIPS: Record<string, RegExp> = {
  'hot-read-traced': /^n\/a \(tracing not built\)$/,
  'hot-read-sampled': /^n\/a \(tracing not built\)$/,
  'hot-read-layered': NO_REDIS,
  'spread-read-l2': NO_REDIS,
  'bare-redis-get': NO_REDIS,
};

/** The ratios checked against a design claim, and the floor of each. */
const TARGET_FLOORS: Record<string, number> = {
  nearHitVsBare: 0.85,
  redisHitVsBareRedis: 0.75,
  tracedSampledVsUntraced: 0.9,
  tracedVsUntraced: 0.7,
};

const test = suite('bench --quick');

let outDir = '';
let report: BenchReport;
let exitCode: number | null = null;
let output = '';
let markdown = '';

test.before(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'eventflow-bench-test-'));
  const script = join(process.cwd(), 'dist', 'bench', 'run.js');
  exitCode = await new Promise<number | null>((resolve, reject) => {
    // The bench takes DATABASE_URL and REDIS_URL from the environment: keep a developer's
    // database (which the write mix would change) and Redis out of the test.
    const { DATABASE_URL: _database, REDIS_URL: _redis, ...env } = process.env;
    const child = spawn(process.execPath, [script, '--quick', '--out', outDir], {
      cwd: process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGINT'), TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
  const file = join(outDir, 'latest.json');
  if (!existsSync(file))
    throw new Error(`the bench wrote no report (exit ${exitCode}):\n${output.slice(-4000)}`);
  report = JSON.parse(readFileSync(file, 'utf8')) as BenchReport;
  markdown = readFileSync(join(outDir, 'latest.md'), 'utf8');
});

test.after(() => {
  if (outDir !== '') rmSync(outDir, { recursive: true, force: true });
});

function scenario(name: string): ScenarioReport {
  const found = report.scenarios.find((s) => s.name === name);
  assert.ok(found, `${name} is in the report`);
  return found;
}

function ratio(name: string): Ratio {
  const found = report.ratios.find((r) => r.name === name);
  assert.ok(found, `ratio ${name} is in the report`);
  return found;
}

function ran(name: string): RanScenario {
  const scenario = report.scenarios.find((s) => s.name === name);
  assert.ok(scenario, `${name} is in the report`);
  assert.is(scenario.status, 'ran', `${name} ran`);
  return scenario as RanScenario;
}

test('the bench exits cleanly and reports no problems', () => {
  assert.equal(report.problems, [], `problems:\n${output.slice(-4000)}`);
  assert.is(exitCode, 0, output.slice(-4000));
  assert.is(report.schema, 'eventflow-bench/1');
  assert.is(report.mode, 'quick');
});

test('every scenario of the catalogue is in the report, run or skipped for a documented reason', () => {
  assert.equal(
    report.scenarios.map((s) => s.name),
    SCENARIOS.map((s) => s.name),
  );
  for (const scenario of report.scenarios) {
    if (scenario.status === 'skipped') {
      const allowed = ALLOWED_SKIPS[scenario.name];
      assert.ok(allowed, `${scenario.name} must run (skipped: ${scenario.reason})`);
      assert.match(scenario.reason, allowed);
    }
  }
});

test('every scenario that ran completed requests with zero errors and no unexpected non-2xx', () => {
  const ranScenarios = report.scenarios.filter((s): s is RanScenario => s.status === 'ran');
  const mayBeSkipped = Object.keys(ALLOWED_SKIPS).length;
  assert.ok(
    ranScenarios.length >= SCENARIOS.length - mayBeSkipped,
    `${ranScenarios.length} scenarios ran`,
  );
  for (const s of ranScenarios) {
    assert.ok(s.requests > 0, `${s.name}: requests ${s.requests}`);
    assert.ok(s.requestsPerSecond > 0, `${s.name}: req/s`);
    assert.is(s.errors, 0, `${s.name}: errors`);
    assert.is(s.timeouts, 0, `${s.name}: timeouts`);
    assert.is(
      s.unexpectedNon2xx,
      0,
      `${s.name}: unexpected non-2xx ${JSON.stringify(s.statusCodes)}`,
    );
    assert.is(s.non2xx, s.expectedConflicts, `${s.name}: non-2xx are all expected conflicts`);
    if (s.name !== 'write-mix')
      assert.is(s.expectedConflicts, 0, `${s.name}: no conflicts expected`);
    for (const key of ['p50', 'p90', 'p99'] as const) {
      assert.type(s.latencyMs[key], 'number', `${s.name}: ${key}`);
      assert.ok(s.latencyMs[key] > 0, `${s.name}: ${key} > 0`);
    }
    assert.ok(
      s.latencyMs.p50 <= s.latencyMs.p90 && s.latencyMs.p90 <= s.latencyMs.p99,
      `${s.name}: percentiles ordered`,
    );
    assert.type(s.loadCpuPercent, 'number');
    assert.ok(s.bottleneck.length > 0 && s.limitedBy.length > 0, `${s.name}: limits explained`);
    if (process.platform === 'linux') {
      assert.ok(s.peakRssMiB !== null && s.peakRssMiB > 0, `${s.name}: peak RSS`);
      assert.type(s.serverCpuPercent, 'number', `${s.name}: server CPU`);
    }
    if (report.placement.pinned && process.platform === 'linux') {
      assert.type(s.otherServerCorePercent, 'number', `${s.name}: other processes' share`);
      assert.ok((s.otherServerCorePercent as number) >= 0);
    }
  }
});

test('the cache scenarios saw the cache outcome they are about', () => {
  const spread = ran('spread-read').cacheOutcomes;
  const miss = ran('miss-read').cacheOutcomes;
  assert.ok(spread !== null && miss !== null);
  assert.is(spread.miss, 0, 'every spread read is a near-cache hit');
  assert.is(miss.hit, 0, 'the cache-off server never hits');
  const mixed = ran('spread-read-mixed').cacheOutcomes;
  assert.ok(
    mixed !== null && mixed.hit > 0 && mixed.miss > 0,
    'the mixed read both hits and misses',
  );
});

test('the two-level cache scenarios were answered by the level they measure', () => {
  if (scenario('hot-read-layered').status === 'skipped') return;

  const near = ran('hot-read-layered').cacheLevels;
  assert.ok(near !== null && near.redisHits !== null && near.redisMisses !== null, 'counters');
  assert.ok(near.nearHits > 0, 'the near cache answered');
  assert.ok(
    (near.redisHits + near.redisMisses) * 100 < near.nearHits,
    `Redis was read only when the near entry expired: ${JSON.stringify(near)}`,
  );

  const l2 = ran('spread-read-l2').cacheLevels;
  assert.ok(l2 !== null && l2.redisHits !== null && l2.redisMisses !== null, 'counters');
  assert.ok(l2.redisHits > 10 * l2.nearHits, `Redis answered: ${JSON.stringify(l2)}`);
  assert.is(l2.redisMisses, 0, 'every document was in Redis');
  assert.ok(
    l2.redisHits + l2.redisMisses <= l2.nearMisses,
    `at most one Redis read per near miss: ${JSON.stringify(l2)}`,
  );
  assert.is(ran('bare-redis-get').cacheLevels, null, 'the bare handler has no cache counters');
});

test('ratios are numbers, except tracing when it is not built', () => {
  const byName = new Map(report.ratios.map((r) => [r.name, r]));
  for (const name of [
    'cachedVsBare',
    'cachedVsBarePipelined',
    'missVsHitLatency',
    'hitVsMissThroughput',
    'scaleLargeVsSmall',
    ...(process.platform === 'linux' ? ['cachedVsBareCpu', 'hitVsMissCpu'] : []),
  ]) {
    const ratio = byName.get(name);
    assert.ok(ratio, `${name} present`);
    assert.type(ratio.value, 'number', `${name}: ${ratio.display}`);
    assert.ok((ratio.value as number) > 0, `${name} > 0`);
  }
  for (const [ratioName, scenarioName] of [
    ['nearHitVsBare', 'hot-read-layered'],
    ['nearHitVsBareCpu', 'hot-read-layered'],
    ['redisHitVsBareRedis', 'spread-read-l2'],
    ['redisHitVsBareRedisCpu', 'spread-read-l2'],
  ] as const) {
    const measured = ratio(ratioName);
    const side = scenario(scenarioName);
    if (side.status === 'skipped') {
      assert.is(measured.value, null);
      assert.is(measured.display, side.reason);
    } else {
      assert.type(measured.value, 'number', `${ratioName}: ${measured.display}`);
      assert.ok((measured.value as number) > 0);
      assert.is(measured.display, `${(measured.value as number).toFixed(2)}x`);
    }
  }
  for (const [ratioName, scenarioName] of [
    ['tracedVsUntraced', 'hot-read-traced'],
    ['tracedSampledVsUntraced', 'hot-read-sampled'],
    ['tracedVsUntracedCpu', 'hot-read-traced'],
  ] as const) {
    const traced = byName.get(ratioName);
    assert.ok(traced, `${ratioName} present`);
    const scenario = report.scenarios.find((s) => s.name === scenarioName) as ScenarioReport;
    if (scenario.status === 'skipped') {
      assert.is(traced.value, null);
      assert.is(traced.display, 'n/a (tracing not built)');
    } else if (traced.value === null) {
      assert.match(traced.display, /^n\/a \(/);
    } else {
      assert.ok(traced.value > 0);
    }
  }
});

test('the design targets have a well-formed verdict, printed and in both reports', () => {
  const targeted = report.ratios.filter((r) => r.target !== null);
  assert.equal(targeted.map((r) => r.name).sort(), Object.keys(TARGET_FLOORS).sort());
  for (const r of targeted) {
    const target = r.target as NonNullable<Ratio['target']>;
    assert.is(target.min, TARGET_FLOORS[r.name], `${r.name}: floor`);
    assert.ok(target.claim.length > 0 && target.why.length > 0, `${r.name}: claim explained`);
    const expected = r.value === null ? 'not measured' : r.value >= target.min ? 'met' : 'missed';
    assert.is(target.verdict, expected, `${r.name}: verdict of ${r.display}`);
    assert.is(
      target.line,
      `${target.claim}: ${r.display} (target >= ${target.min.toFixed(2)}: ${target.verdict})`,
    );
    assert.match(
      target.line,
      /^.+: (\d+\.\d\dx|n\/a \(.+\)) \(target >= \d\.\d\d: (met|missed|not measured)\)$/,
    );
    assert.ok(output.includes(`  ${target.line}\n`), `${r.name}: printed`);
    assert.ok(markdown.includes(target.line), `${r.name}: in the Markdown report`);
  }
  const claims = targeted.map((r) => (r.target as NonNullable<Ratio['target']>).claim);
  assert.ok(claims.includes('near-cache hit / bare uWS'));
  assert.ok(claims.includes('Redis hit / bare uWS + ioredis GET'));
});

test('every measured ratio carries its caveats, and --quick says one round is unreliable', () => {
  for (const r of report.ratios) {
    assert.ok(Array.isArray(r.warnings), `${r.name}: warnings`);
    assert.is(r.sides.length, 2, `${r.name}: sides`);
    for (const warning of r.warnings) assert.type(warning, 'string');
    const bothRan = r.sides.every((name) => scenario(name).status === 'ran');
    if (!bothRan) continue;
    assert.ok(
      r.warnings.some((w) => w.startsWith('one round each, not alternated')),
      `${r.name}: --quick measures one round`,
    );
    for (const side of r.sides) {
      const others = ran(side).otherServerCorePercent;
      if (others !== null && others >= OTHER_PROCESSES_WARN_PERCENT) {
        assert.ok(
          r.warnings.some((w) => w.includes(`took ${others}% of a server core while ${side}`)),
          `${r.name}: warns about ${side}`,
        );
      }
    }
  }
});

test('the scale check compares a small and a large database', () => {
  assert.ok(report.scale.small !== null && report.scale.large !== null);
  assert.is(report.scale.small.events, 1000);
  assert.is(report.scale.large.events, 100_000, '--quick uses 100k events');
  assert.match(report.scale.note, /--quick/);
});

test('machine, placement and trace proof are described', () => {
  assert.ok(report.machine.cpuModel.length > 0);
  assert.ok(report.machine.cores >= 1);
  assert.ok(report.machine.memoryGiB > 0);
  assert.match(report.machine.node, /^v\d+/);
  assert.type(report.placement.pinned, 'boolean');
  assert.ok(report.placement.description.length > 0);
  if (report.placement.pinned) {
    assert.ok(report.placement.server !== null && report.placement.loadGenerator !== null);
  } else {
    assert.match(report.placement.description, /^unpinned/);
  }
  const proof = report.traceProof;
  assert.ok(proof, 'trace proof present');
  assert.is(proof.miss.xCache, 'miss');
  assert.is(proof.hit.xCache, 'hit');
  assert.match(proof.miss.traceId ?? '', /^[0-9a-f]{32}$/);
  assert.match(proof.hit.traceId ?? '', /^[0-9a-f]{32}$/);
  assert.is.not(proof.miss.traceId, proof.hit.traceId);
});

test('the Markdown report has the table, the ratios and the machine', () => {
  assert.match(
    markdown,
    /\| scenario \| req\/s \| p50 ms \| p90 ms \| p99 ms \| errors \| non-2xx \| peak RSS MiB \|/,
  );
  assert.match(markdown, /## Targets/);
  assert.match(markdown, /## Ratios/);
  assert.match(markdown, /\| others on server CPU \|/);
  if (scenario('login').status === 'ran') {
    assert.ok(
      markdown.includes(`(login: at most ${scenarioByName('login').maxConnections})`),
      'the connection cap comes from the scenario',
    );
  }
  assert.match(markdown, /\*\*Machine:\*\*/);
  assert.match(markdown, /\*\*Placement:\*\*/);
  assert.match(markdown, /## What limits each number/);
});

test.run();
