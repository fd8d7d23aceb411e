import autocannon, { type RequestSpec, type Result } from 'autocannon';
import { createRandom } from '../src/seed-data.js';
import {
  scenarioByName,
  type LoadJob,
  type LoadPlan,
  type ScenarioDefinition,
} from './scenarios.js';

/**
 * The load generator: a process of its own (pinned to its own core by run.ts) that reads a
 * LoadPlan as JSON on stdin, warms each job up (results discarded), then measures the jobs
 * in rounds (A B A B ...) with autocannon, and writes JSON lines on stdout:
 *   {"event":"measuring","job":0,"round":0}     a measured phase of job 0 starts
 *   {"event":"paused","job":0,"round":0}        ... and ends
 *   {"event":"result","job":0,"result":{...}}   job 0's LoadResult, after the last round
 * Latency percentiles are computed here from every response time autocannon reports (in
 * fractional milliseconds), because autocannon's own histogram keeps whole milliseconds,
 * too coarse for sub-millisecond cache hits.
 */

export interface LatencySummary {
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  max: number;
}

export interface LoadResult {
  scenario: string;
  connections: number;
  pipelining: number;
  /** Rounds the measurement was split into (alternating with the other jobs of its group). */
  rounds: number;
  /** Seconds the measured phases actually took, in all. */
  elapsedSeconds: number;
  /** Completed requests in the measured phase. */
  requests: number;
  requestsPerSecond: number;
  latencyMs: LatencySummary;
  /** Connection errors and timeouts (autocannon's `errors`). */
  errors: number;
  timeouts: number;
  /** Responses outside 2xx, expected ones included. */
  non2xx: number;
  statusCodes: Record<string, number>;
  /** Non-2xx answers that are a declared outcome of the scenario (409 EVENT_FULL). */
  expectedConflicts: number;
  /** X-Cache tally, when the scenario asks for it. */
  cacheOutcomes: { hit: number; miss: number; none: number } | null;
  /** CPU the load generator used during the measured phase, in % of one core. */
  loadCpuPercent: number;
}

class Latencies {
  #values = new Float64Array(1 << 16);
  #count = 0;

  get count(): number {
    return this.#count;
  }

  record(ms: number): void {
    if (this.#count === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#count++] = ms;
  }

  summary(): LatencySummary {
    const sorted = this.#values.subarray(0, this.#count).sort();
    if (sorted.length === 0) return { p50: 0, p90: 0, p99: 0, mean: 0, max: 0 };

    let sum = 0;
    for (const value of sorted) sum += value;
    const at = (q: number): number =>
      round3(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
    return {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      mean: round3(sum / sorted.length),
      max: round3(sorted[sorted.length - 1] as number),
    };
  }
}

interface Tally {
  cache: { hit: number; miss: number; none: number } | null;
  expected: number;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function withTally(
  requests: RequestSpec[],
  scenario: ScenarioDefinition,
  tally: Tally,
): RequestSpec[] {
  const expected = scenario.expected;
  if (tally.cache === null && expected === undefined) return requests;

  const cache = tally.cache;
  return requests.map((request) => ({
    ...request,
    onResponse: (status, body, _context, headers) => {
      if (cache !== null) {
        const value = headers['X-Cache'] ?? headers['x-cache'];
        if (value === 'hit') cache.hit++;
        else if (value === 'miss') cache.miss++;
        else cache.none++;
      }
      if (
        expected !== undefined &&
        status === expected.status &&
        body.includes(`"${expected.code}"`)
      ) {
        tally.expected++;
      }
    },
  }));
}

/** One job's measurements, summed over its rounds. */
class JobMeasurement {
  readonly latencies = new Latencies();
  readonly tally: Tally;
  seconds = 0;
  cpuMicros = 0;
  errors = 0;
  timeouts = 0;
  non2xx = 0;
  readonly statusCodes: Record<string, number> = {};

  constructor(scenario: ScenarioDefinition) {
    this.tally = {
      cache: scenario.tallyCache === true ? { hit: 0, miss: 0, none: 0 } : null,
      expected: 0,
    };
  }
}

async function runPhase(
  job: LoadJob,
  scenario: ScenarioDefinition,
  random: () => number,
  seconds: number,
  measurement: JobMeasurement | null,
): Promise<Result> {
  const tally = measurement?.tally ?? { cache: null, expected: 0 };
  const instance = autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: job.pipelining,
    duration: seconds,
    timeout: 10,
    title: scenario.name,
    requests: withTally(scenario.requests(job.data, random), scenario, tally),
  });
  if (measurement !== null) {
    const latencies = measurement.latencies;
    instance.on(
      'response',
      (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
        latencies.record(responseTime);
      },
    );
  }
  return await instance;
}

function emit(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function main(): Promise<void> {
  const plan = JSON.parse(await readStdin()) as LoadPlan;
  const random = createRandom(plan.seed);
  const jobs = plan.jobs.map((job) => ({ job, scenario: scenarioByName(job.scenario) }));
  const measurements = jobs.map(({ scenario }) => new JobMeasurement(scenario));

  for (const { job, scenario } of jobs) {
    if (job.warmupSeconds > 0) await runPhase(job, scenario, random, job.warmupSeconds, null);
  }

  for (let round = 0; round < plan.rounds; round++) {
    for (const [index, { job, scenario }] of jobs.entries()) {
      const measurement = measurements[index] as JobMeasurement;
      emit({ event: 'measuring', job: index, round });
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      const result = await runPhase(
        job,
        scenario,
        random,
        job.durationSeconds / plan.rounds,
        measurement,
      );
      measurement.seconds += (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      emit({ event: 'paused', job: index, round });
      measurement.cpuMicros += cpu.user + cpu.system;
      measurement.errors += result.errors;
      measurement.timeouts += result.timeouts;
      measurement.non2xx += result.non2xx;
      for (const [status, stats] of Object.entries(result.statusCodeStats)) {
        measurement.statusCodes[status] = (measurement.statusCodes[status] ?? 0) + stats.count;
      }
    }
  }

  for (const [index, { job, scenario }] of jobs.entries()) {
    const m = measurements[index] as JobMeasurement;
    const requests = m.latencies.count;
    const result: LoadResult = {
      scenario: scenario.name,
      connections: job.connections,
      pipelining: job.pipelining,
      rounds: plan.rounds,
      elapsedSeconds: round3(m.seconds),
      requests,
      requestsPerSecond: m.seconds === 0 ? 0 : Math.round(requests / m.seconds),
      latencyMs: m.latencies.summary(),
      errors: m.errors,
      timeouts: m.timeouts,
      non2xx: m.non2xx,
      statusCodes: m.statusCodes,
      expectedConflicts: m.tally.expected,
      cacheOutcomes: m.tally.cache,
      loadCpuPercent: m.seconds === 0 ? 0 : Math.round((m.cpuMicros / 1e6 / m.seconds) * 100),
    };
    emit({ event: 'result', job: index, result });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `load generator failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
