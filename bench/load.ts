import autocannon, { type RequestSpec, type Result } from 'autocannon';
import { createRandom } from '../src/seed-data.js';
import { scenarioByName, type LoadPlan, type ScenarioDefinition } from './scenarios.js';

/**
 * The load generator: a process of its own (pinned to its own core by run.ts) that reads a
 * LoadPlan as JSON on stdin, runs the scenario with autocannon for the warm-up (discarded)
 * and then for the measurement, and writes JSON lines on stdout:
 *   {"event":"measuring"}                      when the measured phase starts
 *   {"event":"result","result":{...}}          the LoadResult
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
  /** Seconds the measured phase actually took. */
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
    const at = (q: number): number => round3(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
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

function withTally(requests: RequestSpec[], scenario: ScenarioDefinition, tally: Tally): RequestSpec[] {
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
      if (expected !== undefined && status === expected.status && body.includes(`"${expected.code}"`)) {
        tally.expected++;
      }
    },
  }));
}

async function runPhase(
  plan: LoadPlan,
  scenario: ScenarioDefinition,
  random: () => number,
  seconds: number,
  measure: boolean,
): Promise<{ result: Result; latencies: Latencies; tally: Tally }> {
  const latencies = new Latencies();
  const tally: Tally = { cache: scenario.tallyCache === true ? { hit: 0, miss: 0, none: 0 } : null, expected: 0 };
  const instance = autocannon({
    url: plan.url,
    connections: plan.connections,
    pipelining: plan.pipelining,
    duration: seconds,
    timeout: 10,
    title: scenario.name,
    requests: withTally(scenario.requests(plan.data, random), scenario, measure ? tally : { cache: null, expected: 0 }),
  });
  if (measure) {
    instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
      latencies.record(responseTime);
    });
  }
  const stop = (): void => instance.stop();
  process.once('SIGTERM', stop);
  const result = await instance;
  process.removeListener('SIGTERM', stop);
  return { result, latencies, tally };
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
  const scenario = scenarioByName(plan.scenario);
  const random = createRandom(plan.seed);

  if (plan.warmupSeconds > 0) await runPhase(plan, scenario, random, plan.warmupSeconds, false);

  emit({ event: 'measuring' });
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const { result, latencies, tally } = await runPhase(plan, scenario, random, plan.durationSeconds, true);
  const elapsedSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);

  const statusCodes: Record<string, number> = {};
  for (const [status, stats] of Object.entries(result.statusCodeStats)) statusCodes[status] = stats.count;
  const requests = result.requests.total;

  const loadResult: LoadResult = {
    scenario: scenario.name,
    connections: plan.connections,
    pipelining: plan.pipelining,
    elapsedSeconds: round3(elapsedSeconds),
    requests,
    requestsPerSecond: Math.round(requests / result.duration),
    latencyMs: latencies.summary(),
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCodes,
    expectedConflicts: tally.expected,
    cacheOutcomes: tally.cache,
    loadCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / (elapsedSeconds * 1000)) * 100),
  };
  emit({ event: 'result', result: loadResult });
}

main().catch((error: unknown) => {
  process.stderr.write(`load generator failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
