import { spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  copyFile,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { redactUrl } from '../src/config.js';
import { eventKey } from '../src/domain/cache-keys.js';
import { DEMO_USER } from '../src/seed.js';
import { cacheLevelsBetween, readCacheCounters } from './cache-counters.js';
import { buildScaleDatabase, seedDatabase } from './datasets.js';
import { request, getJson, rawGet, sleep, type RawResponse } from './http.js';
import type { LoadResult } from './load.js';
import { describeMachine, type MachineInfo } from './machine.js';
import { OptionsError, parseOptions, USAGE, type BenchOptions } from './options.js';
import { OtlpSink } from './otlp-sink.js';
import { hasRedisServer, startPrivateRedis, type PrivateRedis } from './redis.js';
import {
  ChildRegistry,
  choosePlacement,
  expandCpuList,
  freePort,
  nodeCommand,
  readCpuSeconds,
  readCpuTimes,
  RssSampler,
  type Placement,
} from './processes.js';
import {
  REPORT_SCHEMA,
  renderMarkdown,
  renderText,
  type BenchReport,
  type RanScenario,
  type Ratio,
  type ScenarioReport,
  type TraceProbe,
  type TraceProof,
} from './report.js';
import {
  PHASES,
  REDIS_PROFILES,
  SCENARIOS,
  type LoadPlan,
  type Phase,
  type ProfileName,
  type ScenarioData,
  type ScenarioDefinition,
} from './scenarios.js';
import { checkTarget, measurementWarnings, type RatioBasis, type TargetSpec } from './targets.js';

/**
 * `npm run bench`: starts what the scenarios need (a seeded database, the API as a child
 * process pinned to its own core, a bare uWebSockets.js ceiling, an OTLP sink), runs each
 * scenario in a separate load-generator process pinned to another core, stops everything,
 * and prints and writes one report (bench/results/<timestamp>.json|md and latest.json|md).
 */

/** Spread reads draw from at most this many events (discovery reads each one once). */
const MAX_READ_IDS = 2000;
/** Share of the event documents the near cache of the `partial` profile can hold. */
const PARTIAL_CACHE_SHARE = 0.25;
/** Overhead MemoryCache counts per entry (src/cache/memory-cache.ts). */
const CACHE_ENTRY_OVERHEAD = 96;

/** The architecture's first promise: a cache hit never leaves the main thread. */
const NEAR_HIT_TARGET: TargetSpec = {
  claim: 'near-cache hit / bare uWS',
  min: 0.85,
  why:
    'with REDIS_URL set, the near cache in front of Redis answers a hot key on the main thread, ' +
    'so it must keep most of the rate of uWebSockets.js returning the same bytes',
};

/**
 * A Redis hit costs one round trip. The ceiling does one ioredis GET per request; the design
 * measured that one GET halves the bare rate, so a second round trip per request would put
 * this ratio near 0.6 while one round trip plus routing and the read script keeps it above
 * 0.8: 0.75 tells them apart.
 */
const REDIS_HIT_TARGET: TargetSpec = {
  claim: 'Redis hit / bare uWS + ioredis GET',
  min: 0.75,
  why:
    'a Redis hit costs one round trip: the ceiling does one GET per request; a second round ' +
    'trip would cost about as much again and bring the ratio near 0.6',
};

const TRACE_SAMPLED_TARGET: TargetSpec = {
  claim: 'default trace sampling / tracing off',
  min: 0.9,
  why:
    'hits are traced at a ratio (10% by default) and an untraced near hit creates no span, ' +
    'so tracing as deployed costs cached reads at most 10%',
};

const TRACE_ALL_TARGET: TargetSpec = {
  claim: 'every request traced / tracing off',
  min: 0.7,
  why:
    'span export and serialisation belong off the main thread, so tracing every cached read ' +
    'costs at most 30% (the stock SDK keeps 0.43x)',
};

/** One ratio of the report: numerator and denominator scenarios, and what is compared. */
interface RatioSpec {
  name: string;
  label: string;
  basis: string;
  sides: [string, string];
  measure: RatioBasis;
  /** Why it cannot be measured in this run, whatever ran (e.g. tracing not built). */
  missing?: string | null;
  target?: TargetSpec & { notApplicable?: string };
}

/** What each kind of ratio divides; bigger is better for all but latency. */
const PICKS: Record<RatioBasis, (s: RanScenario) => number> = {
  rate: (s) => s.requestsPerSecond,
  // CPU per request, inverted so that, like req/s, bigger is better: robust to other
  // processes taking the server's core, which moves req/s but not the cost of a request.
  cpu: (s) =>
    s.serverCpuMicrosPerRequest === null || s.serverCpuMicrosPerRequest === 0
      ? 0
      : 1 / s.serverCpuMicrosPerRequest,
  latency: (s) => s.latencyMs.p50,
};

interface EventDocument {
  id: number;
  title: string;
  description: string | null;
  date: string;
  location: string;
  category: string | null;
  capacity: number | null;
  organizer: { id: number } | null;
  participants: unknown[];
}

interface Discovery {
  eventCount: number;
  participantCount: number;
  hotEventId: number;
  proofEventId: number;
  readIds: number[];
  participantIds: number[];
  documents: Map<number, { doc: EventDocument; text: string; bytes: number }>;
}

interface RunningServer {
  profile: ProfileName;
  child: ChildProcess;
  pid: number;
  url: string;
  port: number;
  logFile: string;
  /** What the load generator needs for this server's scenarios (null: not prepared). */
  data: ScenarioData | null;
  /** Scale-check database to delete after the phase. */
  scaleFile?: string;
}

/** Busy share of some CPUs over the measured windows, from /proc/stat. */
class CoreUsage {
  #busy = 0;
  #total = 0;
  #start: Map<number, { busy: number; total: number }> | null = null;

  constructor(private readonly cpus: number[]) {}

  begin(): void {
    this.#start = readCpuTimes();
  }

  end(): void {
    const now = readCpuTimes();
    if (this.#start === null || now === null) return;
    for (const cpu of this.cpus) {
      const a = this.#start.get(cpu);
      const b = now.get(cpu);
      if (a === undefined || b === undefined) continue;
      this.#busy += b.busy - a.busy;
      this.#total += b.total - a.total;
    }
    this.#start = null;
  }

  /** Average busy % of these CPUs (all processes), or null when unknown. */
  percent(): number | null {
    return this.cpus.length === 0 || this.#total === 0
      ? null
      : Math.round((this.#busy / this.#total) * 100);
  }
}

/** Consecutive scenarios of one group form one unit (measured alternately); others run alone. */
function groupUnits(scenarios: ScenarioDefinition[]): ScenarioDefinition[][] {
  const units: ScenarioDefinition[][] = [];
  for (const scenario of scenarios) {
    const last = units[units.length - 1];
    const lastGroup = last?.[0]?.group;
    if (last !== undefined && scenario.group !== undefined && lastGroup === scenario.group)
      last.push(scenario);
    else units.push([scenario]);
  }
  return units;
}

class Bench {
  readonly #options: BenchOptions;
  readonly #root: string;
  readonly #registry = new ChildRegistry();
  readonly #placement: Placement;
  readonly #machine: MachineInfo;
  readonly #jwtSecret = randomBytes(48).toString('base64url');
  readonly #workers: number;
  readonly #selected: ScenarioDefinition[];
  readonly #skipReasons = new Map<string, string>();
  readonly #results = new Map<string, RanScenario>();
  readonly #serverLog: BenchReport['serverLog'] = {};
  readonly #problems: string[] = [];
  readonly #tracingBuilt: boolean;
  #tmp = '';
  #databaseUrl: string | null = null;
  #seedLine = 'none';
  #discovery: Discovery | null = null;
  #hotResponse: RawResponse | null = null;
  #partialCacheBytes: number | null = null;
  #sink: OtlpSink | null = null;
  #tracedExportedNothing = false;
  #traceProof: TraceProof | null = null;
  /** The Redis of the running phase's Redis profiles (--redis-url or a private one). */
  #phaseRedisUrl: string | null = null;
  /** The private redis-server of the running phase, whose CPU counts as the server side. */
  #phaseRedis: PrivateRedis | null = null;
  /** Phases that started a private redis-server, for the report. */
  readonly #privateRedisPhases: string[] = [];
  readonly #scaleDatabases = new Map<ProfileName, { events: number; databaseMiB: number }>();
  #seedCounter = 1;

  constructor(options: BenchOptions, root: string, tracingBuilt: boolean) {
    this.#options = options;
    this.#root = root;
    this.#tracingBuilt = tracingBuilt;
    this.#placement = choosePlacement(options.serverCpus, options.loadCpus);
    this.#machine = describeMachine();
    this.#workers = options.workers ?? Math.max(2, this.#placement.serverCpuCount);

    const filters = options.scenarioFilters;
    this.#selected = SCENARIOS.filter(
      (s) => filters.length === 0 || filters.some((filter) => s.name.includes(filter)),
    );
    if (this.#selected.length === 0) {
      throw new OptionsError(
        `No scenario matches ${filters.join(', ')}; scenarios: ${SCENARIOS.map((s) => s.name).join(', ')}`,
      );
    }
    for (const scenario of this.#selected) {
      if (
        (scenario.profile === 'traced' || scenario.profile === 'traced-sampled') &&
        !tracingBuilt
      ) {
        this.#skipReasons.set(scenario.name, 'n/a (tracing not built)');
      }
      if (
        REDIS_PROFILES.includes(scenario.profile) &&
        options.redisUrl === null &&
        !hasRedisServer()
      ) {
        this.#skipReasons.set(scenario.name, 'n/a (no --redis-url and no redis-server on PATH)');
      }
    }
  }

  get registry(): ChildRegistry {
    return this.#registry;
  }

  get tmp(): string {
    return this.#tmp;
  }

  async run(): Promise<BenchReport> {
    const started = new Date();
    this.#tmp = await mkdtemp(join(tmpdir(), 'eventflow-bench-'));
    if (this.#placement.loadCpus !== null) {
      // This process (RSS sampling, the OTLP sink) is client side: keep it off the server CPUs.
      spawnSync('taskset', ['-a', '-p', '-c', this.#placement.loadCpus, String(process.pid)], {
        stdio: 'ignore',
      });
    }
    log(`Placement: ${this.#placement.description}`);
    log(`Temporary folder: ${this.#tmp}`);
    const { databaseUrl, databaseUrlFrom, redisUrl, redisUrlFrom } = this.#options;
    if (databaseUrl !== null && databaseUrlFrom === 'DATABASE_URL')
      log(`Database from DATABASE_URL: ${redactUrl(databaseUrl)} (the write mix changes its data)`);
    if (redisUrl !== null && redisUrlFrom === 'REDIS_URL')
      log(`Redis from REDIS_URL: ${redactUrl(redisUrl)}`);

    const needsMainData = this.#runnable().some((s) => !s.profile.startsWith('scale-'));
    if (needsMainData) {
      this.#databaseUrl = this.#options.databaseUrl ?? `sqlite:${join(this.#tmp, 'eventflow.db')}`;
      log(`Seeding ${redactUrl(this.#databaseUrl)} ...`);
      this.#seedLine = await seedDatabase(this.#root, this.#databaseUrl);
      log(`  ${this.#seedLine}`);
    }
    if (
      (this.#isRunnable('traced') || this.#isRunnable('traced-sampled')) &&
      this.#options.otlpEndpoint === null
    ) {
      this.#sink = new OtlpSink();
      await this.#sink.listen();
    }

    for (const phase of PHASES) {
      const profiles = phase.profiles.filter(
        (p) => this.#isRunnable(p) || (p === 'cached' && needsMainData),
      );
      if (profiles.length > 0) await this.#runPhase(phase, profiles);
    }

    if (this.#sink !== null) await this.#sink.close();
    return this.#report(started, new Date());
  }

  #runnable(): ScenarioDefinition[] {
    return this.#selected.filter((s) => !this.#skipReasons.has(s.name));
  }

  #isRunnable(profile: ProfileName): boolean {
    return this.#runnable().some((s) => s.profile === profile);
  }

  // ---------------------------------------------------------------- phases

  async #runPhase(phase: Phase, profiles: ProfileName[]): Promise<void> {
    const servers = new Map<ProfileName, RunningServer>();
    log(`\n[${phase.name}] servers: ${profiles.join(', ')}`);
    try {
      this.#phaseRedisUrl = null;
      if (profiles.some((p) => REDIS_PROFILES.includes(p))) {
        this.#phaseRedisUrl = this.#options.redisUrl;
        if (this.#phaseRedisUrl === null) {
          this.#phaseRedis = await startPrivateRedis(this.#registry, this.#placement.serverCpus);
          this.#phaseRedisUrl = this.#phaseRedis.url;
          this.#privateRedisPhases.push(phase.name);
          log(`  private redis-server at ${this.#phaseRedis.url} (on the server CPUs)`);
        }
      }
      switch (phase.name) {
        case 'reads':
          await this.#startReads(profiles, servers);
          break;
        case 'partial':
        case 'l2':
          // Side by side, like the reads phase: start-up is mostly waiting.
          await Promise.all(
            profiles.map(async (profile) => {
              if (profile === 'bare-redis') {
                servers.set(profile, await this.#startBareRedis());
                return;
              }
              const server = await this.#startApi(
                profile,
                this.#databaseUrl as string,
                this.#profileEnv(profile),
              );
              servers.set(profile, server);
              await this.#prefill(server, this.#needDiscovery().readIds);
            }),
          );
          break;
        case 'writes': {
          const server = await this.#startApi(
            'writes',
            this.#databaseUrl as string,
            this.#profileEnv('writes'),
          );
          servers.set('writes', server);
          await this.#prepareWrites(server);
          break;
        }
        case 'scale':
          await this.#startScale(profiles, servers);
          break;
        default:
          throw new Error(`unknown phase ${phase.name}`);
      }

      const scenarios = this.#runnable().filter((s) => profiles.includes(s.profile));
      for (const unit of groupUnits(scenarios)) await this.#runUnit(unit, servers);
    } finally {
      for (const [profile, server] of servers) await this.#stopServer(profile, server);
      if (this.#phaseRedis !== null) await this.#registry.stop(this.#phaseRedis.child);
      this.#phaseRedis = null;
      for (const server of servers.values()) {
        if (server.scaleFile !== undefined) {
          for (const suffix of ['', '-wal', '-shm'])
            await rm(`${server.scaleFile}${suffix}`, { force: true });
        }
      }
    }
    const traced = servers.has('traced') || servers.has('traced-sampled');
    if (traced && this.#sink !== null && this.#sink.exports === 0) {
      this.#tracedExportedNothing = true;
    }
  }

  /**
   * The reads phase: the cached server first (trace proof unless tracing runs, discovery,
   * the hot response the bare ceiling replays), then the two-level (Redis), traced, bare and
   * cache-off servers.
   * All stay up, idle unless measured, so groups alternate between them.
   */
  async #startReads(
    profiles: ProfileName[],
    servers: Map<ProfileName, RunningServer>,
  ): Promise<void> {
    const cached = await this.#startApi(
      'cached',
      this.#databaseUrl as string,
      this.#profileEnv('cached'),
    );
    servers.set('cached', cached);
    const traced = profiles.includes('traced');
    if (!traced) await this.#proveTraces(cached, 'cached');
    this.#discovery = await this.#discover(cached);
    const discovery = this.#discovery;
    const data: ScenarioData = { hotEventId: discovery.hotEventId, readIds: discovery.readIds };
    cached.data = data;

    this.#hotResponse = await rawGet(cached.port, `/event/${discovery.hotEventId}`);
    const xCache = this.#hotResponse.headers.find(([name]) => name.toLowerCase() === 'x-cache');
    if (xCache?.[1] !== 'hit') this.#problems.push('the captured hot read was not a cache hit');

    // The other servers start side by side (start-up is mostly waiting for the workers).
    await Promise.all(
      profiles
        .filter((profile) => profile !== 'cached')
        .map(async (profile) => {
          const server =
            profile === 'bare'
              ? await this.#startBare()
              : await this.#startApi(
                  profile,
                  this.#databaseUrl as string,
                  this.#profileEnv(profile),
                );
          servers.set(profile, server);
        }),
    );
    const tracedServer = servers.get('traced');
    if (tracedServer !== undefined) await this.#proveTraces(tracedServer, 'traced');
    for (const [profile, server] of servers) {
      // Cache the hot event where there is a cache (the bare server has nothing to fill).
      if (profile !== 'cached' && profile !== 'bare' && profile !== 'nocache') {
        await request(`${server.url}/event/${discovery.hotEventId}`);
      }
      server.data = data;
    }
  }

  async #prepareWrites(server: RunningServer): Promise<void> {
    const discovery = this.#needDiscovery();
    const token = await this.#login(server);
    if (token === null) {
      this.#problems.push('could not log in as the demo user: write-mix and login skipped');
      for (const s of this.#selected.filter((x) => x.profile === 'writes')) {
        this.#skipReasons.set(s.name, 'n/a (demo user login failed)');
      }
      return;
    }
    if (discovery.participantIds.length < 100) {
      discovery.participantIds.push(...(await this.#createParticipants(server, token, 100)));
    }
    server.data = {
      hotEventId: discovery.hotEventId,
      readIds: discovery.readIds,
      ...this.#writeData(discovery),
      token,
      login: { email: DEMO_USER.email, password: DEMO_USER.password },
    };
  }

  async #startScale(
    profiles: ProfileName[],
    servers: Map<ProfileName, RunningServer>,
  ): Promise<void> {
    const built: Array<{ profile: ProfileName; file: string; events: number }> = [];
    for (const profile of profiles) {
      const events =
        profile === 'scale-small' ? this.#options.scaleSmall : this.#options.scaleLarge;
      const file = join(this.#tmp, `${profile}.db`);
      const started = Date.now();
      log(`  building a SQLite database with ${events.toLocaleString('en-US')} events ...`);
      await buildScaleDatabase(this.#root, file, events);
      const bytes = (await stat(file)).size;
      log(
        `  built in ${((Date.now() - started) / 1000).toFixed(1)} s (${(bytes / 2 ** 20).toFixed(1)} MiB)`,
      );
      this.#scaleDatabases.set(profile, {
        events,
        databaseMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
      });
      built.push({ profile, file, events });
    }
    await Promise.all(
      built.map(async ({ profile, file, events }) => {
        const server = await this.#startApi(profile, `sqlite:${file}`, this.#profileEnv(profile));
        server.scaleFile = file;
        server.data = { hotEventId: 1, readIds: [1], idRange: { min: 1, max: events } };
        servers.set(profile, server);
      }),
    );
  }

  #profileEnv(profile: ProfileName): Record<string, string> {
    const env: Record<string, string> = { OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'none' };
    // The configured Redis serves the profiles that show the cache as deployed; the partial
    // profile is the near-cache/database mix, and the scale and cache-off ones skip caching.
    // The Redis profiles always have one: the configured Redis or the phase's private one.
    const redisUrl = REDIS_PROFILES.includes(profile)
      ? this.#phaseRedisUrl
      : ['cached', 'traced', 'traced-sampled', 'writes'].includes(profile)
        ? this.#options.redisUrl
        : null;
    if (redisUrl !== null) env.REDIS_URL = redisUrl;
    switch (profile) {
      case 'nocache':
      case 'scale-small':
      case 'scale-large':
        env.CACHE_ENABLED = 'false';
        break;
      case 'partial':
        env.CACHE_MAX_BYTES = String(this.#partialBudget());
        break;
      case 'l2':
        // The smallest budget config accepts: the near cache holds at most one document, so
        // reads go to Redis.
        env.NEAR_CACHE_MAX_BYTES = '1024';
        env.CACHE_MAX_BYTES = '1024';
        break;
      case 'traced':
      case 'traced-sampled': {
        const endpoint = this.#options.otlpEndpoint ?? (this.#sink as OtlpSink).endpoint;
        Object.assign(env, {
          OTEL_SDK_DISABLED: 'false',
          OTEL_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
          OTEL_SERVICE_NAME: 'eventflow',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_LOGS_EXPORTER: 'none',
        });
        if (profile === 'traced') {
          // Every hit traced (the worst case): the standard sampler variables, and the
          // server's own hit-ratio variable, which takes precedence over them.
          Object.assign(env, {
            OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
            OTEL_TRACES_SAMPLER_ARG: String(this.#options.traceRatio),
            EVENTFLOW_TRACE_HIT_RATIO: String(this.#options.traceRatio),
          });
        }
        break;
      }
      case 'cached':
      case 'layered':
      case 'writes':
      case 'bare':
      case 'bare-redis':
        break;
    }
    return env;
  }

  #partialBudget(): number {
    const discovery = this.#needDiscovery();
    let total = 0;
    for (const id of discovery.readIds) {
      const entry = discovery.documents.get(id);
      if (entry !== undefined)
        total += entry.bytes + eventKey(id).length * 2 + CACHE_ENTRY_OVERHEAD;
    }
    this.#partialCacheBytes = Math.max(1024, Math.floor(total * PARTIAL_CACHE_SHARE));
    return this.#partialCacheBytes;
  }

  #needDiscovery(): Discovery {
    if (this.#discovery === null)
      throw new Error('the data set was not discovered (the reads phase did not run)');
    return this.#discovery;
  }

  /** Lists events and reads every one once (which fills the cached server's near cache). */
  async #discover(server: RunningServer): Promise<Discovery> {
    const stats = await getJson<{ eventCount: number; participantCount: number }>(
      `${server.url}/dashboard/statistics/all`,
    );
    const eventIds = await this.#listIds(server, '/event/all', 'date', MAX_READ_IDS + 1);
    if (eventIds.length < 2) throw new Error('the database needs at least 2 events');

    eventIds.sort((a, b) => a - b);
    const proofEventId = (await this.#proofEventId(server)) as number;
    const readIds = eventIds.filter((id) => id !== proofEventId).slice(0, MAX_READ_IDS);
    const documents = new Map<number, { doc: EventDocument; text: string; bytes: number }>();
    await forEachLimit(readIds, 8, async (id) => {
      const answer = await request(`${server.url}/event/${id}`);
      if (answer.status !== 200) throw new Error(`GET /event/${id}: ${answer.status}`);
      documents.set(id, {
        doc: JSON.parse(answer.text) as EventDocument,
        text: answer.text,
        bytes: Buffer.byteLength(answer.text),
      });
    });
    // There is no participant list route: the participants embedded in the event documents
    // are ones that certainly exist.
    const participants = new Set<number>();
    for (const { doc } of documents.values()) {
      for (const participant of doc.participants as Array<{ id: number }>)
        participants.add(participant.id);
    }
    const participantIds = [...participants].sort((a, b) => a - b);
    log(
      `  data set: ${stats.eventCount} events, ${stats.participantCount} participants; ` +
        `spread reads over ${readIds.length} events`,
    );
    return {
      eventCount: stats.eventCount,
      participantCount: stats.participantCount,
      hotEventId: readIds[0] as number,
      proofEventId,
      readIds,
      participantIds,
      documents,
    };
  }

  async #listIds(
    server: RunningServer,
    path: string,
    sortBy: string,
    limit: number,
  ): Promise<number[]> {
    const ids: number[] = [];
    for (let page = 1; ids.length < limit; page++) {
      const items = await getJson<Array<{ id: number }>>(
        `${server.url}${path}?pageNumber=${page}&pageSize=50&sortBy=${sortBy}`,
      );
      if (items.length === 0) break;
      ids.push(...items.map((item) => item.id));
    }
    return ids.slice(0, limit);
  }

  /**
   * The event of the trace proof: the highest id on the newest page of events, which no read
   * scenario touches (discovery leaves it out), so a fresh server has never read it.
   */
  async #proofEventId(server: RunningServer): Promise<number | null> {
    if (this.#discovery !== null) return this.#discovery.proofEventId;
    const newest = await getJson<Array<{ id: number }>>(
      `${server.url}/event/all?pageNumber=1&pageSize=50&sortBy=date_desc`,
    );
    const ids = newest.map((e) => e.id);
    return ids.length === 0 ? null : Math.max(...ids);
  }

  /** GET /event/{proof id} twice on a fresh server: a miss and a hit of the same event. */
  async #proveTraces(server: RunningServer, profile: ProfileName): Promise<void> {
    const eventId = await this.#proofEventId(server);
    if (eventId === null) return;
    const probe = async (): Promise<TraceProbe> => {
      const answer = await request(`${server.url}/event/${eventId}`);
      return {
        status: answer.status,
        xCache: answer.headers.get('x-cache'),
        traceId: answer.headers.get('x-trace-id'),
      };
    };
    const miss = await probe();
    const hit = await probe();
    let exportedTo: string;
    let note: string;
    if (profile === 'traced') {
      exportedTo =
        this.#options.otlpEndpoint === null
          ? "spans exported to the bench's local OTLP sink"
          : `spans exported to ${this.#options.otlpEndpoint}`;
      note =
        this.#options.otlpEndpoint === null
          ? 'Run with --otlp-endpoint http://localhost:4318 (Jaeger) to open both span trees: ' +
            'the miss has the pool-dispatch, use-case and database spans, the hit only the server span and its near-cache lookup.'
          : `Open http://localhost:16686/trace/${miss.traceId ?? ''} and .../trace/${hit.traceId ?? ''} to compare the span trees.`;
    } else {
      exportedTo = 'tracing not built: trace ids from X-Trace-Id only, no spans exported';
      note =
        'The ids are the trace ids the server assigned (X-Trace-Id); once tracing is built, the ' +
        'traced server exports these two requests and Jaeger shows both span trees.';
    }
    if (miss.xCache !== 'miss' || hit.xCache !== 'hit') {
      note += ` (expected miss then hit; got ${miss.xCache ?? '-'} then ${hit.xCache ?? '-'})`;
    }
    log(
      `  trace proof, GET /event/${eventId}: ${miss.xCache ?? '-'} ${miss.traceId ?? '-'}, ${hit.xCache ?? '-'} ${hit.traceId ?? '-'}`,
    );
    this.#traceProof = { eventId, miss, hit, exportedTo, note };
  }

  async #prefill(server: RunningServer, ids: number[]): Promise<void> {
    await forEachLimit(ids, 8, async (id) => {
      await request(`${server.url}/event/${id}`);
    });
    const discovery = this.#needDiscovery();
    server.data = { hotEventId: discovery.hotEventId, readIds: discovery.readIds };
  }

  async #login(server: RunningServer): Promise<string | null> {
    const attempt = async (): Promise<string | null> => {
      const answer = await request(`${server.url}/authentication/login`, {
        method: 'POST',
        body: { email: DEMO_USER.email, password: DEMO_USER.password },
      });
      return answer.status === 200 ? (JSON.parse(answer.text) as { token: string }).token : null;
    };
    const token = await attempt();
    if (token !== null) return token;
    await request(`${server.url}/authentication/register`, { method: 'POST', body: DEMO_USER });
    return attempt();
  }

  async #createParticipants(
    server: RunningServer,
    token: string,
    count: number,
  ): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 1; i <= count; i++) {
      const answer = await request(`${server.url}/participant`, {
        method: 'POST',
        token,
        body: {
          name: `Bench Participant ${i}`,
          email: `bench.${Date.now()}.${i}@example.test`,
          interests: null,
        },
      });
      if (answer.status !== 201)
        throw new Error(`POST /participant: ${answer.status} ${answer.text.slice(0, 300)}`);
      ids.push((JSON.parse(answer.text) as { id: number }).id);
    }
    return ids;
  }

  /** Update bodies (full, valid, unchanged but for the description) and registration targets. */
  #writeData(discovery: Discovery): Partial<ScenarioData> {
    const now = Date.now();
    const updates: NonNullable<ScenarioData['updates']> = [];
    const withRoom: Array<{ id: number; room: number }> = [];
    for (const id of discovery.readIds) {
      const entry = discovery.documents.get(id);
      if (entry === undefined) continue;
      const { doc } = entry;
      const room = doc.capacity === null ? Infinity : doc.capacity - doc.participants.length;
      withRoom.push({ id, room });
      if (updates.length < 100 && doc.organizer !== null && Date.parse(doc.date) > now) {
        updates.push({
          id,
          body: {
            title: doc.title,
            description: doc.description,
            date: doc.date,
            location: doc.location,
            category: doc.category,
            capacity: doc.capacity,
            organizerId: doc.organizer.id,
          },
        });
      }
    }
    withRoom.sort((a, b) => b.room - a.room);
    const unlimited = withRoom.filter((e) => e.room === Infinity);
    const targets = (unlimited.length >= 10 ? unlimited : withRoom.slice(0, 20)).map((e) => e.id);
    return {
      updates,
      registrationEventIds: targets,
      participantIds: discovery.participantIds,
    };
  }

  // ---------------------------------------------------------------- servers

  async #startBare(): Promise<RunningServer> {
    const hot = this.#hotResponse;
    if (hot === null) throw new Error('no cached response was captured for the bare ceiling');
    const file = await this.#writeResponses('hot-response.json', hot, {});
    return this.#spawnBare('bare', 'bare-server.js', file, [], '/event/1', null);
  }

  /**
   * Writes what a bare server answers (the captured cached response, plus `extra`) to a
   * file of the run's temporary folder, and returns its path.
   */
  async #writeResponses(
    name: string,
    hot: RawResponse,
    extra: Record<string, unknown>,
  ): Promise<string> {
    const file = join(this.#tmp, name);
    const { status, headers, body } = hot;
    await writeFile(
      file,
      JSON.stringify({ status, headers, bodyBase64: body.toString('base64'), ...extra }),
    );
    return file;
  }

  /** Starts a bare server script on the server CPUs: `node <script> <responses> <port> ...`. */
  async #spawnBare(
    profile: RunningServer['profile'],
    script: string,
    responsesFile: string,
    extraArgs: string[],
    readyPath: string,
    data: RunningServer['data'],
  ): Promise<RunningServer> {
    const port = await freePort();
    const logFile = join(this.#tmp, `server-${profile}.log`);
    const out = await open(logFile, 'a');
    const path = join(this.#root, 'dist', 'bench', script);
    const { command, args } = nodeCommand(this.#placement.serverCpus, path, [
      responsesFile,
      String(port),
      ...extraArgs,
    ]);
    const child = this.#registry.spawn(command, args, { stdio: ['ignore', out.fd, out.fd] });
    await out.close();
    const server: RunningServer = {
      profile,
      child,
      pid: child.pid as number,
      url: `http://127.0.0.1:${port}`,
      port,
      logFile,
      data,
    };
    await waitUntilReady(server, readyPath);
    return server;
  }

  /**
   * The bare handler with one Redis GET per request (bench/bare-redis-server.ts): the hot
   * read's status and headers, and every spread-read document, which it stores in the
   * phase's Redis under keys of its own before it listens.
   */
  async #startBareRedis(): Promise<RunningServer> {
    const hot = this.#hotResponse;
    const redisUrl = this.#phaseRedisUrl;
    if (hot === null || redisUrl === null)
      throw new Error('the Redis ceiling needs the captured cached response and a Redis');
    const discovery = this.#needDiscovery();
    const bodiesBase64: Record<string, string> = {};
    for (const [id, { text }] of discovery.documents)
      bodiesBase64[id] = Buffer.from(text).toString('base64');
    const file = await this.#writeResponses('redis-responses.json', hot, { bodiesBase64 });
    return this.#spawnBare(
      'bare-redis',
      'bare-redis-server.js',
      file,
      [redisUrl],
      `/event/${discovery.hotEventId}`,
      { hotEventId: discovery.hotEventId, readIds: discovery.readIds },
    );
  }

  async #startApi(
    profile: ProfileName,
    databaseUrl: string,
    extraEnv: Record<string, string>,
  ): Promise<RunningServer> {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      PORT: String(port),
      DATABASE_URL: databaseUrl,
      // As deployed: every traced request writes its completion line, so the tracing ratios
      // include the access log's cost (untraced hits write none).
      LOG_LEVEL: 'info',
      JWT_SECRET: this.#jwtSecret,
      WORKERS: String(this.#workers),
      ...extraEnv,
    };
    const logFile = join(this.#tmp, `server-${profile}.log`);
    const out = await open(logFile, 'a');
    const { command, args } = nodeCommand(
      this.#placement.serverCpus,
      join(this.#root, 'dist', 'src', 'main.js'),
    );
    const child = this.#registry.spawn(command, args, {
      cwd: this.#root,
      env,
      stdio: ['ignore', out.fd, out.fd],
    });
    await out.close();
    const server: RunningServer = {
      profile,
      child,
      pid: child.pid as number,
      url: `http://127.0.0.1:${port}`,
      port,
      logFile,
      data: null,
    };
    try {
      await waitUntilReady(server, '/health/ready');
    } catch (error) {
      await this.#registry.stop(child);
      const tail = (await readFile(logFile, 'utf8').catch(() => '')).slice(-2000);
      throw new Error(`The API (${profile}) did not become ready: ${String(error)}\n${tail}`, {
        cause: error,
      });
    }
    return server;
  }

  async #stopServer(profile: string, server: RunningServer): Promise<void> {
    await this.#registry.stop(server.child);
    const code = server.child.exitCode;
    if (code !== null && code !== 0 && server.child.signalCode === null) {
      this.#problems.push(`the ${profile} server exited with status ${code} on SIGTERM`);
    }
    const lines = await summarizeLog(server.logFile);
    this.#serverLog[profile] = profile.startsWith('bare')
      ? lines.filter((l) => !l.message.startsWith('listening'))
      : lines;
  }

  // ---------------------------------------------------------------- scenarios

  /** Runs one scenario, or a group alternately in rounds, in one load-generator process. */
  async #runUnit(
    unit: ScenarioDefinition[],
    servers: Map<ProfileName, RunningServer>,
  ): Promise<void> {
    const options = this.#options;
    const runnable = unit.filter((s) => !this.#skipReasons.has(s.name));
    if (runnable.length === 0) return;
    const targets = runnable.map((scenario) => {
      const server = servers.get(scenario.profile);
      if (server === undefined || server.data === null)
        throw new Error(`no ${scenario.profile} server for ${scenario.name}`);
      return { scenario, server, data: server.data };
    });
    const plan: LoadPlan = {
      rounds: targets.length > 1 ? options.rounds : 1,
      seed: 2027 + this.#seedCounter++,
      jobs: targets.map(({ scenario, server, data }) => ({
        scenario: scenario.name,
        url: server.url,
        connections: Math.min(options.connections, scenario.maxConnections ?? Infinity),
        pipelining: scenario.pipelining === 'option' ? options.pipelining : 1,
        warmupSeconds: scenario.warmup === false ? 0 : options.warmupSeconds,
        durationSeconds: Math.max(options.durationSeconds, scenario.minDurationSeconds ?? 0),
        data,
      })),
    };
    if (plan.rounds > 1)
      log(`  ${runnable.map((s) => s.name).join(' / ')}: ${plan.rounds} alternating rounds`);

    const samplers = new Map<number, RssSampler>();
    for (const { server } of targets) {
      if (!samplers.has(server.pid)) samplers.set(server.pid, new RssSampler(server.pid));
    }
    for (const sampler of samplers.values()) sampler.start();

    const serverCpus =
      this.#placement.serverCpus === null ? [] : expandCpuList(this.#placement.serverCpus);
    const loadCpus =
      this.#placement.loadCpus === null ? [] : expandCpuList(this.#placement.loadCpus);
    // The private Redis is part of the server side: its CPU is not "other processes".
    const redisPid = this.#phaseRedis?.child.pid ?? null;
    const usage = targets.map(() => ({
      cpu: 0,
      redisCpu: 0,
      seconds: 0,
      serverCores: new CoreUsage(serverCpus),
      loadCores: new CoreUsage(loadCpus),
      cpuKnown: true,
      exports: 0,
    }));
    let window: {
      job: number;
      cpu: number | null;
      redisCpu: number | null;
      at: number;
      exports: number;
    } | null = null;
    // Which cache level answered: a server's counters are credited to its scenario when it
    // serves only that one scenario of the unit.
    const countersBefore = await Promise.all(
      targets.map(({ server }) =>
        server.profile.startsWith('bare') ? Promise.resolve(null) : readCacheCounters(server.url),
      ),
    );

    const results = await this.#runLoad(plan, {
      onMeasuring: (job) => {
        const target = targets[job];
        if (target === undefined) return;
        window = {
          job,
          cpu: readCpuSeconds(target.server.pid),
          redisCpu: redisPid === null ? null : readCpuSeconds(redisPid),
          at: performance.now(),
          exports: this.#sink?.exports ?? 0,
        };
        usage[job]?.serverCores.begin();
        usage[job]?.loadCores.begin();
      },
      onPaused: (job) => {
        const target = targets[job];
        const entry = usage[job];
        if (target === undefined || entry === undefined || window === null || window.job !== job)
          return;
        const cpu = readCpuSeconds(target.server.pid);
        const redisCpu = redisPid === null ? null : readCpuSeconds(redisPid);
        entry.seconds += (performance.now() - window.at) / 1000;
        if (cpu === null || window.cpu === null) entry.cpuKnown = false;
        else entry.cpu += cpu - window.cpu;
        if (redisCpu !== null && window.redisCpu !== null)
          entry.redisCpu += redisCpu - window.redisCpu;
        entry.serverCores.end();
        entry.loadCores.end();
        entry.exports += (this.#sink?.exports ?? 0) - window.exports;
        window = null;
      },
    });
    const peaks = new Map<number, number | null>();
    for (const [pid, sampler] of samplers) peaks.set(pid, sampler.stop());
    const countersAfter = await Promise.all(
      targets.map(({ server }, index) =>
        countersBefore[index] === null ? Promise.resolve(null) : readCacheCounters(server.url),
      ),
    );

    for (const [index, { scenario, server }] of targets.entries()) {
      const result = results[index];
      const entry = usage[index];
      if (result === undefined || entry === undefined)
        throw new Error(`no result for ${scenario.name}`);
      const serverCpuPercent =
        !entry.cpuKnown || entry.seconds === 0
          ? null
          : Math.round((entry.cpu / entry.seconds) * 100);
      const peak = peaks.get(server.pid) ?? null;
      const serverCoresBusy = entry.serverCores.percent();
      const loadCoresBusy = entry.loadCores.percent();
      const redisCpuPercent =
        redisPid === null || entry.seconds === 0
          ? null
          : Math.round((entry.redisCpu / entry.seconds) * 100);
      const others =
        serverCoresBusy === null || serverCpuPercent === null
          ? null
          : Math.max(
              0,
              Math.round(
                serverCoresBusy * this.#placement.serverCpuCount -
                  serverCpuPercent -
                  (redisCpuPercent ?? 0),
              ),
            );
      const isSoleScenario = targets.filter((t) => t.server === server).length === 1;
      const ran: RanScenario = {
        status: 'ran',
        name: scenario.name,
        title: scenario.title,
        profile: scenario.profile,
        measures: scenario.measures,
        limitedBy: scenario.limitedBy,
        bottleneck: this.#bottleneck(
          serverCpuPercent,
          result.loadCpuPercent,
          serverCoresBusy,
          loadCoresBusy,
          others,
        ),
        connections: result.connections,
        pipelining: result.pipelining,
        rounds: result.rounds,
        durationSeconds: result.elapsedSeconds,
        requests: result.requests,
        requestsPerSecond: result.requestsPerSecond,
        latencyMs: result.latencyMs,
        errors: result.errors,
        timeouts: result.timeouts,
        non2xx: result.non2xx,
        expectedConflicts: result.expectedConflicts,
        expectedConflictLabel: scenario.expected?.label ?? null,
        unexpectedNon2xx: result.non2xx - result.expectedConflicts,
        statusCodes: result.statusCodes,
        cacheOutcomes: result.cacheOutcomes,
        peakRssMiB: peak === null ? null : Math.round(peak / 2 ** 20),
        serverCpuPercent,
        serverCpuMicrosPerRequest:
          !entry.cpuKnown || result.requests === 0
            ? null
            : Math.round((entry.cpu * 1e6 * 10) / result.requests) / 10,
        loadCpuPercent: result.loadCpuPercent,
        serverCoresBusyPercent: serverCoresBusy,
        loadCoresBusyPercent: loadCoresBusy,
        redisCpuPercent,
        otherServerCorePercent: others,
        cacheLevels: isSoleScenario
          ? cacheLevelsBetween(countersBefore[index] ?? null, countersAfter[index] ?? null)
          : null,
        notes: [],
      };
      if (redisCpuPercent !== null && REDIS_PROFILES.includes(scenario.profile)) {
        ran.notes.push(`The private redis-server used ${redisCpuPercent}% of a core meanwhile`);
      }
      if (scenario.profile.startsWith('traced') && this.#sink !== null) {
        ran.notes.push(
          `${entry.exports} OTLP trace exports reached the sink while it was measured (batches are sent up to 1 s late, so this is approximate)`,
        );
      }
      if (result.requests === 0) this.#problems.push(`${scenario.name}: no request completed`);
      if (result.errors > 0)
        this.#problems.push(`${scenario.name}: ${result.errors} connection errors/timeouts`);
      if (ran.unexpectedNon2xx > 0) {
        this.#problems.push(
          `${scenario.name}: ${ran.unexpectedNon2xx} unexpected non-2xx answers ${JSON.stringify(result.statusCodes)}`,
        );
      }
      this.#results.set(scenario.name, ran);
      log(
        `  ${scenario.name.padEnd(24)} ${String(ran.requestsPerSecond).padStart(7)} req/s  ` +
          `p50 ${ran.latencyMs.p50} ms  p99 ${ran.latencyMs.p99} ms  errors ${ran.errors}  non-2xx ${ran.non2xx}  ` +
          `server CPU ${serverCpuPercent ?? 'n/a'}% (core busy ${serverCoresBusy ?? 'n/a'}%, ` +
          `others ${others ?? 'n/a'}%)  ` +
          `loadgen CPU ${ran.loadCpuPercent}% (core busy ${loadCoresBusy ?? 'n/a'}%)  peak RSS ${ran.peakRssMiB ?? 'n/a'} MiB`,
      );
    }
  }

  #bottleneck(
    serverCpu: number | null,
    loadCpu: number,
    serverCores: number | null,
    loadCores: number | null,
    others: number | null,
  ): string {
    const capacity = this.#placement.serverCpuCount * 100;
    const server = `server ${serverCpu ?? 'n/a'}% of ${capacity}%`;
    const load = `load generator ${loadCpu}%`;
    if (!this.#placement.pinned) return `unpinned (${server}, ${load} of one core)`;
    if (loadCpu >= 90) return `load generator saturated (${load} of its core; ${server})`;
    if (serverCpu !== null && serverCpu >= 0.9 * capacity)
      return `server CPU saturated (${server}; ${load})`;
    if (serverCores !== null && serverCores >= 90 && others !== null) {
      return `server core(s) saturated, ${others}% of a core by other processes on this machine (${server}; ${load})`;
    }
    if (loadCores !== null && loadCores >= 90) {
      return `load generator's core saturated, ${Math.max(0, loadCores - loadCpu)}% by other processes (${load}; ${server})`;
    }
    return `neither side saturated (${server}, ${load}): time went to waiting (locks, worker queue, I/O)`;
  }

  #runLoad(
    plan: LoadPlan,
    hooks: { onMeasuring(job: number): void; onPaused(job: number): void },
  ): Promise<LoadResult[]> {
    const { command, args } = nodeCommand(
      this.#placement.loadCpus,
      join(this.#root, 'dist', 'bench', 'load.js'),
    );
    const child = this.#registry.spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const seconds = plan.jobs.reduce(
      (sum, job) => sum + job.warmupSeconds + job.durationSeconds,
      0,
    );
    const limitMs = (seconds + 60 + 10 * plan.rounds * plan.jobs.length) * 1000;
    return new Promise((resolve, reject) => {
      const results: LoadResult[] = [];
      let stderr = '';
      const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      lines.on('line', (line) => {
        let message: { event: string; job: number; result?: LoadResult };
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return;
        }
        if (message.event === 'measuring') hooks.onMeasuring(message.job);
        if (message.event === 'paused') hooks.onPaused(message.job);
        if (message.event === 'result' && message.result !== undefined)
          results[message.job] = message.result;
      });
      child.once('error', reject);
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0 && results.length === plan.jobs.length) resolve(results);
        else
          reject(
            new Error(
              `load generator for ${plan.jobs.map((j) => j.scenario).join(', ')} failed (exit ${code}): ${stderr.slice(-2000)}`,
            ),
          );
      });
      child.stdin?.end(JSON.stringify(plan));
    });
  }

  // ---------------------------------------------------------------- report

  #report(started: Date, finished: Date): BenchReport {
    const scenarios: ScenarioReport[] = this.#selected.map((s) => {
      const ran = this.#results.get(s.name);
      if (ran !== undefined) return ran;
      return {
        status: 'skipped',
        name: s.name,
        title: s.title,
        profile: s.profile,
        measures: s.measures,
        limitedBy: s.limitedBy,
        reason: this.#skipReasons.get(s.name) ?? 'n/a (not run)',
      };
    });
    const discovery = this.#discovery;
    const options = this.#options;
    return {
      schema: REPORT_SCHEMA,
      startedAt: started.toISOString(),
      finishedAt: finished.toISOString(),
      runSeconds: Math.round((finished.getTime() - started.getTime()) / 100) / 10,
      mode: options.quick ? 'quick' : 'full',
      options: {
        durationSeconds: options.durationSeconds,
        warmupSeconds: options.warmupSeconds,
        rounds: options.rounds,
        connections: options.connections,
        pipelining: options.pipelining,
        workers: this.#workers,
        scenarioFilters: options.scenarioFilters,
        database:
          options.databaseUrl === null
            ? 'embedded SQLite (fresh temporary file, seeded like npm run seed)'
            : `${redactUrl(options.databaseUrl)} (from ${options.databaseUrlFrom ?? '--database-url'})`,
        redis:
          options.redisUrl !== null
            ? `near cache + Redis ${redactUrl(options.redisUrl)} (from ${options.redisUrlFrom ?? '--redis-url'})`
            : this.#privateRedisPhases.length > 0
              ? 'in-process cache alone, except the Redis scenarios (hot-read-layered, ' +
                'spread-read-l2, bare-redis-get), which used a private redis-server'
              : 'in-process cache only (no Redis)',
        traceRatio: options.traceRatio,
      },
      machine: this.#machine,
      placement: {
        pinned: this.#placement.pinned,
        server: this.#placement.serverCpus,
        loadGenerator: this.#placement.loadCpus,
        description: this.#placement.description,
      },
      dataset: {
        seed: this.#seedLine,
        events: discovery?.eventCount ?? 0,
        readIds: discovery?.readIds.length ?? 0,
        participants: discovery?.participantCount ?? 0,
        hotEventId: discovery?.hotEventId ?? null,
        proofEventId: discovery?.proofEventId ?? null,
        partialCacheBytes: this.#partialCacheBytes,
      },
      tracing: {
        built: this.#tracingBuilt,
        endpoint: this.#options.otlpEndpoint ?? (this.#sink === null ? null : 'local OTLP sink'),
        exportRequests: this.#sink?.exports ?? 0,
        exportBytes: this.#sink?.bytes ?? 0,
      },
      scenarios,
      ratios: this.#ratios(),
      scale: this.#scaleSummary(),
      traceProof: this.#traceProof,
      serverLog: this.#serverLog,
      problems: this.#problems,
    };
  }

  #ratios(): Ratio[] {
    const options = this.#options;
    const notRun = 'n/a (scenario not run)';
    const tracingMissing = !this.#tracingBuilt
      ? 'n/a (tracing not built)'
      : this.#tracedExportedNothing
        ? 'n/a (tracing built, but no spans reached the OTLP sink)'
        : null;
    const cachedLevels =
      options.redisUrl === null ? 'in-process cache alone' : 'near cache + Redis';
    const tracedLabel = `hot-read-traced (ratio ${options.traceRatio}) ÷ hot-read`;
    const traceAllTarget =
      options.traceRatio === 1
        ? TRACE_ALL_TARGET
        : {
            ...TRACE_ALL_TARGET,
            notApplicable: `n/a (--trace-ratio ${options.traceRatio}; the target is for every request traced)`,
          };
    const r = (spec: RatioSpec): Ratio => this.#ratio(spec, notRun);
    return [
      r({
        name: 'cachedVsBare',
        label: `cached read (${cachedLevels}) / bare uWS ceiling, req/s`,
        basis: 'hot-read ÷ bare-ceiling',
        sides: ['hot-read', 'bare-ceiling'],
        measure: 'rate',
      }),
      r({
        name: 'cachedVsBareCpu',
        label: `cached read (${cachedLevels}) / bare uWS ceiling, requests per server CPU-second`,
        basis: 'bare-ceiling µs/req ÷ hot-read µs/req',
        sides: ['hot-read', 'bare-ceiling'],
        measure: 'cpu',
      }),
      r({
        name: 'nearHitVsBare',
        label: 'near-cache hit of the two-level cache (Redis behind it) / bare uWS ceiling, req/s',
        basis: 'hot-read-layered ÷ bare-ceiling',
        sides: ['hot-read-layered', 'bare-ceiling'],
        measure: 'rate',
        target: NEAR_HIT_TARGET,
      }),
      r({
        name: 'nearHitVsBareCpu',
        label:
          'near-cache hit of the two-level cache / bare uWS ceiling, requests per server CPU-second',
        basis: 'bare-ceiling µs/req ÷ hot-read-layered µs/req',
        sides: ['hot-read-layered', 'bare-ceiling'],
        measure: 'cpu',
      }),
      r({
        name: 'cachedVsBarePipelined',
        label: 'cached read / bare uWS ceiling, req/s, pipelined',
        basis: 'hot-read-pipelined ÷ bare-ceiling-pipelined',
        sides: ['hot-read-pipelined', 'bare-ceiling-pipelined'],
        measure: 'rate',
      }),
      r({
        name: 'redisHitVsBareRedis',
        label: 'Redis hit / bare uWS + one ioredis GET, req/s',
        basis: 'spread-read-l2 ÷ bare-redis-get (same ids, same Redis)',
        sides: ['spread-read-l2', 'bare-redis-get'],
        measure: 'rate',
        target: REDIS_HIT_TARGET,
      }),
      r({
        name: 'redisHitVsBareRedisCpu',
        label:
          'Redis hit / bare uWS + one ioredis GET, requests per server CPU-second (Redis not counted)',
        basis: 'bare-redis-get µs/req ÷ spread-read-l2 µs/req',
        sides: ['spread-read-l2', 'bare-redis-get'],
        measure: 'cpu',
      }),
      r({
        name: 'missVsHitLatency',
        label: 'cache miss p50 / cache hit p50',
        basis: 'miss-read ÷ spread-read (same ids)',
        sides: ['miss-read', 'spread-read'],
        measure: 'latency',
      }),
      r({
        name: 'hitVsMissThroughput',
        label: 'cache hit / cache miss, req/s',
        basis: 'spread-read ÷ miss-read (same ids)',
        sides: ['spread-read', 'miss-read'],
        measure: 'rate',
      }),
      r({
        name: 'hitVsMissCpu',
        label: 'cache hit / cache miss, requests per server CPU-second',
        basis: 'miss-read µs/req ÷ spread-read µs/req',
        sides: ['spread-read', 'miss-read'],
        measure: 'cpu',
      }),
      r({
        name: 'tracedVsUntraced',
        label: 'traced / untraced cached read, req/s',
        basis: tracedLabel,
        sides: ['hot-read-traced', 'hot-read'],
        measure: 'rate',
        missing: tracingMissing,
        target: traceAllTarget,
      }),
      r({
        name: 'tracedSampledVsUntraced',
        label: 'traced at default sampling / untraced cached read, req/s',
        basis: 'hot-read-sampled ÷ hot-read',
        sides: ['hot-read-sampled', 'hot-read'],
        measure: 'rate',
        missing: tracingMissing,
        target: TRACE_SAMPLED_TARGET,
      }),
      r({
        name: 'tracedVsUntracedCpu',
        label: 'traced / untraced cached read, requests per server CPU-second',
        basis: 'hot-read µs/req ÷ hot-read-traced µs/req',
        sides: ['hot-read-traced', 'hot-read'],
        measure: 'cpu',
        missing: tracingMissing,
      }),
      r({
        name: 'scaleLargeVsSmall',
        label: 'GET by id, large / small database, req/s',
        basis: 'scale-large ÷ scale-small (cache off)',
        sides: ['scale-large', 'scale-small'],
        measure: 'rate',
      }),
    ];
  }

  /** One ratio of two scenarios of this run, its warnings, and its target's verdict. */
  #ratio(spec: RatioSpec, notRun: string): Ratio {
    const [first, second] = spec.sides;
    const a = this.#results.get(first);
    const b = this.#results.get(second);
    const skipped = [first, second]
      .map((name) => this.#skipReasons.get(name))
      .find((reason) => reason !== undefined);
    const missing = spec.missing ?? skipped ?? notRun;
    const pick = PICKS[spec.measure];

    let value: number | null = null;
    let display = missing;
    const isMeasurable = spec.missing === undefined || spec.missing === null;
    if (isMeasurable && a !== undefined && b !== undefined && pick(b) !== 0) {
      value = Math.round((pick(a) / pick(b)) * 100) / 100;
      display = `${value.toFixed(2)}x`;
    }
    const warnings =
      a !== undefined && b !== undefined ? measurementWarnings([a, b], spec.measure) : [];
    let target = null;
    if (spec.target !== undefined) {
      const { notApplicable, ...targetSpec } = spec.target;
      target =
        notApplicable === undefined
          ? checkTarget(targetSpec, value, display)
          : checkTarget(targetSpec, null, notApplicable);
    }
    return {
      name: spec.name,
      label: spec.label,
      value,
      display,
      basis: spec.basis,
      sides: spec.sides,
      warnings,
      target,
    };
  }

  #scaleSummary(): BenchReport['scale'] {
    const entry = (profile: 'scale-small' | 'scale-large') => {
      const database = this.#scaleDatabases.get(profile);
      const result = this.#results.get(profile);
      if (database === undefined || result === undefined) return null;
      return {
        ...database,
        requestsPerSecond: result.requestsPerSecond,
        p50Ms: result.latencyMs.p50,
      };
    };
    const small = entry('scale-small');
    const large = entry('scale-large');
    if (small === null || large === null) {
      return { small, large, note: 'not run (both scale scenarios are needed)' };
    }
    const quick = this.#options.quick
      ? " (--quick: the large database is 100k events, the full run's is 1M)"
      : '';
    const note =
      `GET /event/{random id} with the cache off: ${small.events.toLocaleString('en-US')} events ` +
      `(${small.databaseMiB} MiB) ${small.requestsPerSecond.toLocaleString('en-US')} req/s, p50 ${small.p50Ms} ms; ` +
      `${large.events.toLocaleString('en-US')} events (${large.databaseMiB} MiB) ` +
      `${large.requestsPerSecond.toLocaleString('en-US')} req/s, p50 ${large.p50Ms} ms${quick}`;
    return { small, large, note };
  }
}

// -------------------------------------------------------------------- helpers

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  });
  await Promise.all(runners);
}

async function waitUntilReady(
  server: RunningServer,
  path: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  server.child.once('exit', () => (exited = true));
  let lastError = '';
  while (Date.now() < deadline) {
    if (exited || server.child.exitCode !== null)
      throw new Error(`the process exited (${server.child.exitCode})`);
    try {
      const answer = await fetch(`${server.url}${path}`, { signal: AbortSignal.timeout(2000) });
      await answer.arrayBuffer();
      if (answer.status === 200) return;
      lastError = `status ${answer.status}`;
    } catch (error) {
      lastError = String(error);
    }
    await sleep(100);
  }
  throw new Error(`not ready after ${timeoutMs} ms (${lastError})`);
}

/** Warn-and-above lines of a server log, grouped by message. */
async function summarizeLog(
  file: string,
): Promise<Array<{ level: string; message: string; count: number }>> {
  const groups = new Map<string, { level: string; message: string; count: number }>();
  const lines = createInterface({ input: createReadStream(file) });
  for await (const line of lines) {
    if (line.trim() === '' || line.includes('"level":"info"')) continue;
    let level = 'stderr';
    let message = line.slice(0, 300);
    try {
      const parsed = JSON.parse(line) as {
        level?: string | number;
        msg?: string;
        err?: { message?: string };
      };
      level = String(parsed.level ?? 'info');
      message = parsed.msg ?? message;
      if (parsed.err?.message !== undefined) message += `: ${parsed.err.message.slice(0, 200)}`;
    } catch {
      // not JSON: a crash trace or a library's console output
    }
    if (['info', 'debug', 'trace', '30', '20', '10'].includes(level)) continue;
    const key = `${level}\u0000${message}`;
    const group = groups.get(key) ?? { level, message, count: 0 };
    group.count++;
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** Whether the compiled server contains an OpenTelemetry setup that reads OTEL_* variables. */
async function detectTracing(root: string): Promise<boolean> {
  const folder = join(root, 'dist', 'src');
  const files = (await readdir(folder, { recursive: true })).filter((f) => f.endsWith('.js'));
  for (const file of files) {
    const text = await readFile(join(folder, file), 'utf8');
    if (text.includes("from '@opentelemetry/")) return true;
  }
  return false;
}

async function writeReports(
  report: BenchReport,
  options: BenchOptions,
  root: string,
): Promise<string[]> {
  await mkdir(options.outDir, { recursive: true });
  const stamp = report.startedAt.replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z');
  const json = `${JSON.stringify(report, null, 2)}\n`;
  const markdown = renderMarkdown(report);
  const written: string[] = [];
  for (const name of [stamp, 'latest']) {
    await writeFile(join(options.outDir, `${name}.json`), json);
    await writeFile(join(options.outDir, `${name}.md`), markdown);
    written.push(join(options.outDir, `${name}.json`), join(options.outDir, `${name}.md`));
  }
  if (options.writeSummary) {
    const summary = join(root, 'bench', 'results', 'summary.md');
    await mkdir(join(root, 'bench', 'results'), { recursive: true });
    await copyFile(join(options.outDir, 'latest.md'), summary);
    written.push(summary);
  }
  return written;
}

async function main(): Promise<void> {
  const root = process.cwd();
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2), root);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  for (const file of ['dist/src/main.js', 'dist/src/seed.js', 'dist/bench/load.js']) {
    await stat(join(root, file)).catch(() => {
      throw new Error(`${file} is missing: run npm run build first (npm run bench does)`);
    });
  }

  const bench = new Bench(options, root, await detectTracing(root));
  let stopping = false;
  const cleanUp = async (): Promise<void> => {
    await bench.registry.stopAll();
    if (bench.tmp !== '' && !options.keep) await rm(bench.tmp, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\n${signal}: stopping the processes the bench started ...\n`);
      void cleanUp().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => bench.registry.killAll());

  let report: BenchReport;
  try {
    report = await bench.run();
  } finally {
    if (!stopping) await cleanUp();
  }
  if (options.keep) log(`Kept ${bench.tmp}`);

  log('');
  log(renderText(report));
  const written = await writeReports(report, options, root);
  log('');
  log(`Wrote ${written.join(', ')}`);
  if (report.problems.length > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
