import type { RequestSpec } from 'autocannon';

/**
 * The scenario catalogue, shared by the orchestrator (bench/run.ts: which server each
 * scenario needs, what it measures) and the load generator (bench/load.ts: the requests).
 * The k6 scripts in bench/k6/ mirror the same scenarios.
 */

/**
 * Which server a scenario runs against. Servers of one phase run side by side (each pinned
 * to the server CPUs, idle unless measured), so a group's scenarios can be measured
 * alternately, round by round, and their ratio survives a noisy machine.
 */
export type ProfileName =
  | 'cached'
  | 'layered'
  | 'bare'
  | 'bare-redis'
  | 'traced'
  | 'traced-sampled'
  | 'nocache'
  | 'partial'
  | 'l2'
  | 'writes'
  | 'scale-small'
  | 'scale-large';

export interface Phase {
  name: string;
  /** Servers of the phase, in start order. */
  profiles: ProfileName[];
}

/**
 * Phases in the order they run. The reads phase always runs first when any scenario needs
 * the seeded data: its cached server discovers the data set. Writes run after every read
 * of the seeded data, so reads never see documents the write mix has grown.
 */
export const PHASES: readonly Phase[] = [
  {
    name: 'reads',
    profiles: ['cached', 'layered', 'traced', 'traced-sampled', 'bare', 'nocache'],
  },
  { name: 'partial', profiles: ['partial'] },
  { name: 'l2', profiles: ['l2', 'bare-redis'] },
  { name: 'writes', profiles: ['writes'] },
  { name: 'scale', profiles: ['scale-small', 'scale-large'] },
];

/**
 * Profiles that need a Redis: the two-level cache as deployed (`layered`), the Redis level
 * with the near cache defeated (`l2`), and the bare handler that GETs from Redis. Without
 * --redis-url the bench starts a private redis-server for the phase.
 */
export const REDIS_PROFILES: readonly ProfileName[] = ['layered', 'l2', 'bare-redis'];

/** What the load generator needs to build a scenario's requests (collected by run.ts). */
export interface ScenarioData {
  /** The event of the hot read: cached before the run. */
  hotEventId: number;
  /** Events the spread reads draw from, uniformly. */
  readIds: number[];
  /** Scale check: ids from min to max inclusive (too many to list). */
  idRange?: { min: number; max: number };
  /** Bearer token of the seed's demo user. */
  token?: string;
  /** Full valid EventInput bodies of events the write mix updates. */
  updates?: Array<{ id: number; body: Record<string, unknown> }>;
  /** Events with room (no capacity, or the most seats left) that registrations target. */
  registrationEventIds?: number[];
  participantIds?: number[];
  login?: { email: string; password: string };
}

/** Everything one load-generator process needs (sent as JSON on its stdin). */
export interface LoadJob {
  scenario: string;
  /** http://127.0.0.1:<port> */
  url: string;
  connections: number;
  pipelining: number;
  warmupSeconds: number;
  /** Measured seconds in all, split evenly across the rounds. */
  durationSeconds: number;
  data: ScenarioData;
}

/**
 * What one load-generator process runs: after each job's warm-up, `rounds` rounds in which
 * every job runs for its share of the duration, one after the other (A B A B A B), so jobs
 * compared by a ratio see the same machine conditions.
 */
export interface LoadPlan {
  jobs: LoadJob[];
  rounds: number;
  /** Seed of the request randomness, so runs draw the same ids. */
  seed: number;
}

export interface ScenarioDefinition {
  name: string;
  /** One line for the table and the docs. */
  title: string;
  profile: ProfileName;
  /** What the number tells you. */
  measures: string;
  /** What bounds the number on a small machine, before the measured CPU shares are added. */
  limitedBy: string;
  /** Requests per connection in flight (default 1). */
  pipelining?: 'option';
  /** Caps `--connections` (password hashing cannot use more). */
  maxConnections?: number;
  /** Scenarios of one group are measured alternately in rounds by one load generator. */
  group?: string;
  /** False: no warm-up (its work would still be running when the measurement starts). */
  warmup?: boolean;
  /** Measure at least this long whatever --duration says. */
  minDurationSeconds?: number;
  /** Statuses that are an expected outcome of the scenario rather than a failure. */
  expected?: { status: number; code: string; label: string };
  /** Count the X-Cache header of the answers (costs the load generator some CPU). */
  tallyCache?: boolean;
  /** Builds the request list autocannon cycles through. */
  requests(data: ScenarioData, random: () => number): RequestSpec[];
}

const JSON_HEADERS = { 'content-type': 'application/json' };

const FILTER_WORDS = [
  'Cloud',
  'Data',
  'TypeScript',
  'Security',
  'Rust',
  'DevOps',
  'Summit',
  'Meetup',
  'Workshop',
  'Lisboa',
  'Berlin',
  'Osaka',
  'são',
  'zürich',
];
const EVENT_SORTS = ['date', 'date_desc', 'title', 'title_desc'];

function pick<T>(items: readonly T[], random: () => number): T {
  if (items.length === 0) throw new Error('pick from an empty list');
  return items[Math.floor(random() * items.length)] as T;
}

function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`scenario data lacks ${what}`);
  return value;
}

/** GET /event/{id} over ids drawn uniformly from the read set. */
function spreadReads(data: ScenarioData, random: () => number): RequestSpec[] {
  const ids = data.readIds;
  return [
    {
      method: 'GET',
      setupRequest: (request) => ({ ...request, path: `/event/${pick(ids, random)}` }),
    },
  ];
}

/** GET /event/{id} over a contiguous id range (scale check). */
function rangeReads(data: ScenarioData, random: () => number): RequestSpec[] {
  const { min, max } = need(data.idRange, 'idRange');
  const span = max - min + 1;
  return [
    {
      method: 'GET',
      setupRequest: (request) => ({
        ...request,
        path: `/event/${min + Math.floor(random() * span)}`,
      }),
    },
  ];
}

function hotRead(data: ScenarioData): RequestSpec[] {
  return [{ method: 'GET', path: `/event/${data.hotEventId}` }];
}

const SCALE_LIMIT =
  'the database read of a miss (B-tree depth and page cache of SQLite) plus the worker round trip; ' +
  'the cache is off so every request reaches the database';

export const SCENARIOS: readonly ScenarioDefinition[] = [
  {
    name: 'hot-read',
    title: 'GET /event/{id}, one event, in-process cache hit',
    group: 'ceiling',
    profile: 'cached',
    measures:
      'the fastest API path: route, in-process cache lookup and write of stored bytes on the main thread ' +
      '(the single-level MemoryCache unless --redis-url or REDIS_URL gives the API a Redis)',
    limitedBy:
      'the one server core: uWebSockets.js syscalls and the main thread; often the single-core load generator first',
    requests: hotRead,
  },
  {
    name: 'hot-read-layered',
    title: 'hot-read with Redis configured: near-cache hit of the two-level cache',
    group: 'ceiling',
    profile: 'layered',
    measures:
      'the fastest path as deployed (REDIS_URL set): the near cache of LayeredCache answers on the main thread; Redis is read only when the near entry expires (NEAR_CACHE_TTL_SECONDS)',
    limitedBy: 'as hot-read; the near cache of the two-level cache is the same in-process lookup',
    requests: hotRead,
  },
  {
    name: 'bare-ceiling',
    title: 'bare uWebSockets.js handler, same bytes as a cached read',
    group: 'ceiling',
    profile: 'bare',
    measures:
      'the ceiling: uWebSockets.js answering the exact bytes and headers of a cached GET /event/{id}, with no routing, cache or trace id',
    limitedBy: 'uWebSockets.js itself on one core, or the load generator',
    requests: () => [{ method: 'GET', path: '/event/1' }],
  },
  {
    name: 'hot-read-traced',
    title: 'hot-read with every request traced',
    group: 'ceiling',
    profile: 'traced',
    measures:
      'the worst case of tracing on the fastest path: every hit traced (sampling ratio --trace-ratio, 1 by default), spans batched and exported over OTLP/HTTP to a local sink',
    limitedBy: 'span creation and export on the server core, on top of hot-read',
    requests: hotRead,
  },
  {
    name: 'hot-read-sampled',
    title: 'hot-read with tracing on at the default sampling',
    group: 'ceiling',
    profile: 'traced-sampled',
    measures:
      "the cost of tracing as deployed: the server's default outcome sampling (misses, writes, errors and slow requests always; hits at EVENTFLOW_TRACE_HIT_RATIO, 0.1 by default)",
    limitedBy: 'the sampling decision on every hit, span building for the sampled share, export',
    requests: hotRead,
  },
  {
    name: 'hot-read-pipelined',
    title: 'hot-read with HTTP pipelining',
    group: 'ceiling-pipelined',
    profile: 'cached',
    pipelining: 'option',
    measures:
      'the same path with several requests per connection in flight, so the load generator spends less per request and the server is pushed harder',
    limitedBy: 'the server core (main thread), unless the load generator still saturates first',
    requests: hotRead,
  },
  {
    name: 'bare-ceiling-pipelined',
    title: 'bare-ceiling with HTTP pipelining',
    group: 'ceiling-pipelined',
    profile: 'bare',
    pipelining: 'option',
    measures: 'the ceiling under the same pipelined load as hot-read-pipelined',
    limitedBy: 'uWebSockets.js on one core, or the load generator',
    requests: () => [{ method: 'GET', path: '/event/1' }],
  },
  {
    name: 'spread-read',
    title: 'GET /event/{random id}, every event cached',
    group: 'cache-gain',
    profile: 'cached',
    measures:
      'near-cache hits spread over every seeded event (a Map lookup among hundreds of keys)',
    limitedBy: 'as hot-read, plus the load generator building a new request line per request',
    tallyCache: true,
    requests: spreadReads,
  },
  {
    name: 'miss-read',
    title: 'GET /event/{random id}, cache disabled',
    group: 'cache-gain',
    profile: 'nocache',
    measures:
      'the miss path: every read crosses to a worker, queries the database (event, organizer, speakers, participants) and builds the JSON',
    limitedBy:
      'the worker pool sharing the one server core with the main thread: SQL, row mapping and JSON per request',
    tallyCache: true,
    requests: spreadReads,
  },
  {
    name: 'list-page',
    title: 'GET /event/all with filter, sort and page',
    profile: 'cached',
    measures:
      'an uncached list query: worker round trip, filtered and sorted SQL with count, JSON of the page',
    limitedBy:
      'worker CPU on the server core: SQL (SQLite runs in the worker thread), the case-folding filter, JSON building',
    requests: (_data, random) => [
      {
        method: 'GET',
        setupRequest: (request) => {
          const sortBy = pick(EVENT_SORTS, random);
          const query =
            random() < 0.25
              ? `pageNumber=${1 + Math.floor(random() * 20)}&pageSize=20&sortBy=${sortBy}`
              : `pageNumber=${1 + Math.floor(random() * 3)}&pageSize=10&sortBy=${sortBy}` +
                `&filter=${encodeURIComponent(pick(FILTER_WORDS, random))}`;
          return { ...request, path: `/event/all?${query}` };
        },
      },
    ],
  },
  {
    name: 'spread-read-mixed',
    title: 'GET /event/{random id}, near cache holds ~25% of events',
    profile: 'partial',
    measures:
      'a realistic near-cache/database mix: the byte budget (CACHE_MAX_BYTES) fits about a quarter of the documents, so most reads miss, load and evict',
    limitedBy: 'the misses (worker round trip and SQL); the hits are nearly free',
    tallyCache: true,
    requests: spreadReads,
  },
  {
    name: 'spread-read-l2',
    title: 'GET /event/{random id}, near cache too small, Redis hits',
    group: 'redis-hit',
    profile: 'l2',
    measures:
      'reads served by the shared Redis level (L2) because the near cache holds almost nothing; ' +
      "the server's cache counters (cache levels, in the report) show which level answered",
    limitedBy:
      'one Redis round trip per request (ioredis on the main thread) and Redis itself, which shares the server core',
    requests: spreadReads,
  },
  {
    name: 'bare-redis-get',
    title: 'bare uWebSockets.js handler + one ioredis GET, same bytes as spread-read-l2',
    group: 'redis-hit',
    profile: 'bare-redis',
    measures:
      'the ceiling of a Redis hit: per request one ioredis GET of the same document from the same Redis, answered with the headers of a cached read (bench/bare-redis-server.ts)',
    limitedBy: 'the Redis round trip (ioredis parsing, two syscalls) and Redis, on the server core',
    requests: spreadReads,
  },
  {
    name: 'write-mix',
    title: 'PUT /event/update/{id} and POST /participant/{e}/participant/{p}, 50/50',
    profile: 'writes',
    measures:
      'writes with invalidation: validation, token check, a write transaction in a worker, the cache keys it made stale dropped before the reply',
    limitedBy:
      "the database's single writer (SQLite serialises write transactions; WAL fsync at checkpoints) and token verification",
    expected: { status: 409, code: 'EVENT_FULL', label: 'expected conflicts (409 EVENT_FULL)' },
    requests: (data, random) => {
      const token = need(data.token, 'token');
      const updates = need(data.updates, 'updates');
      const events = need(data.registrationEventIds, 'registrationEventIds');
      const participants = need(data.participantIds, 'participantIds');
      const auth = { authorization: `Bearer ${token}` };
      let counter = 0;
      return [
        {
          method: 'PUT',
          headers: { ...JSON_HEADERS, ...auth },
          setupRequest: (request) => {
            const update = pick(updates, random);
            counter++;
            const body = { ...update.body, description: `Updated by the bench, #${counter}.` };
            return { ...request, path: `/event/update/${update.id}`, body: JSON.stringify(body) };
          },
        },
        {
          method: 'POST',
          headers: auth,
          setupRequest: (request) => ({
            ...request,
            path: `/participant/${pick(events, random)}/participant/${pick(participants, random)}`,
          }),
        },
      ];
    },
  },
  {
    name: 'login',
    title: 'POST /authentication/login (scrypt in workers)',
    profile: 'writes',
    maxConnections: 2,
    warmup: false,
    minDurationSeconds: 5,
    measures:
      'password verification: scrypt N=2^17 (128 MiB, OWASP) runs off the main thread, so logins cannot stall cached reads',
    limitedBy:
      'scrypt on the server core by design (about 0.1-0.3 s of CPU and 128 MiB each), at most HASH_CONCURRENCY hashes at once (the worker count)',
    requests: (data) => {
      const login = need(data.login, 'login');
      return [
        {
          method: 'POST',
          path: '/authentication/login',
          headers: JSON_HEADERS,
          body: JSON.stringify(login),
        },
      ];
    },
  },
  {
    name: 'scale-small',
    title: 'GET /event/{random id}, cache off, small database',
    group: 'scale',
    profile: 'scale-small',
    measures: 'database read throughput with few events (the scale check baseline)',
    limitedBy: SCALE_LIMIT,
    requests: rangeReads,
  },
  {
    name: 'scale-large',
    title: 'GET /event/{random id}, cache off, large database',
    group: 'scale',
    profile: 'scale-large',
    measures: 'the same read with many more events: shows whether an indexed read by id degrades',
    limitedBy: SCALE_LIMIT,
    requests: rangeReads,
  },
];

export function scenarioByName(name: string): ScenarioDefinition {
  const found = SCENARIOS.find((scenario) => scenario.name === name);
  if (found === undefined) throw new Error(`Unknown scenario ${name}`);
  return found;
}
