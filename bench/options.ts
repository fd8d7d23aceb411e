import { join, resolve } from 'node:path';
import { SCENARIOS } from './scenarios.js';

/** Command-line options of `npm run bench -- [options]`. */
export interface BenchOptions {
  quick: boolean;
  /** Measured seconds per scenario. */
  durationSeconds: number;
  /** Seconds of the same load, discarded, before each measurement. */
  warmupSeconds: number;
  /** Scenarios compared by a ratio are measured alternately in this many rounds. */
  rounds: number;
  connections: number;
  /** Requests in flight per connection for the `-pipelined` ceiling pair. */
  pipelining: number;
  /** Substrings; a scenario runs when its name contains one of them (all when empty). */
  scenarioFilters: string[];
  /**
   * The API's database (--database-url, else DATABASE_URL); null: a fresh SQLite file under
   * the OS temp folder.
   */
  databaseUrl: string | null;
  /**
   * Redis for the shared cache level (--redis-url, else REDIS_URL); null: the single-level
   * scenarios run without Redis, and the Redis ones use a private redis-server when there is one.
   */
  redisUrl: string | null;
  /** Where databaseUrl and redisUrl came from, for the report (null when unset). */
  databaseUrlFrom: UrlSource | null;
  redisUrlFrom: UrlSource | null;
  /** Worker threads of the API; null: as many as the server's cores, at least 2. */
  workers: number | null;
  /** Where the JSON and Markdown reports go. */
  outDir: string;
  /** Also copy the Markdown report to bench/results/summary.md (the committed one). */
  writeSummary: boolean;
  /** Events in the two scale-check databases. */
  scaleSmall: number;
  scaleLarge: number;
  /** Head sampling ratio of the traced scenario (1 = every request traced, the worst case). */
  traceRatio: number;
  /** Send the traced scenario's spans here instead of the bench's own OTLP sink. */
  otlpEndpoint: string | null;
  /** CPU lists for taskset (`0`, `0-1`, `0,2`); null: chosen from the allowed CPUs. */
  serverCpus: string | null;
  loadCpus: string | null;
  /** Keep the temporary folder (databases, server logs) for inspection. */
  keep: boolean;
  help: boolean;
}

/** A URL option given on the command line, or taken from the environment. */
export type UrlSource = '--database-url' | '--redis-url' | 'DATABASE_URL' | 'REDIS_URL';

/** Scenarios whose connections are capped, as `login uses at most 2`. */
export function connectionCapsText(): string {
  return SCENARIOS.filter((s) => s.maxConnections !== undefined)
    .map((s) => `${s.name} uses at most ${s.maxConnections}`)
    .join(', ');
}

export const USAGE = `Usage: npm run bench -- [options]

Starts the API (and what it needs) on a fresh seeded database, runs the load scenarios with
autocannon in a separate process, stops everything and prints one table.

  --quick                 short run (3 s per scenario, 1 s warm-up, scale check 1k vs 100k)
  --duration <s>          measured seconds per scenario (default 15, quick 3)
  --warmup <s>            warm-up seconds per scenario (default 3, quick 1)
  --rounds <n>            scenarios compared by a ratio (the ceiling group: hot-read,
                          hot-read-layered, bare-ceiling and the traced pair; spread-read /
                          miss-read; spread-read-l2 / bare-redis-get; scale-small /
                          scale-large) are measured alternately in n rounds of duration/n
                          each (default 5, quick 1: one round is not alternated, so quick
                          ratios are indicative only)
  --connections <n>       concurrent connections (default 32; ${connectionCapsText()})
  --pipelining <n>        requests per connection in the *-pipelined ceiling pair (default 8)
  --scenario <text>       run only scenarios whose name contains text (repeatable, or a,b)
  --database-url <url>    run against this database instead of a temporary SQLite file
                          (seeded if empty; the write mix changes its data). Default:
                          DATABASE_URL from the environment when set
  --redis-url <url>       give the API this Redis: every cached profile then runs the
                          two-level cache, and the Redis scenarios (hot-read-layered,
                          spread-read-l2, bare-redis-get) use it. Default: REDIS_URL from
                          the environment when set; else those scenarios start a private
                          redis-server (skipped when there is none on PATH)
  --workers <n>           API worker threads (default: the server's cores, at least 2)
  --scale <small>,<large> events in the scale-check databases (default 1000,1000000)
  --trace-ratio <r>       sampling ratio of the traced scenario (default 1: every request)
  --otlp-endpoint <url>   export the traced scenario's spans there (e.g. a local Jaeger's
                          http://localhost:4318) instead of the bench's own sink
  --server-cpus <list>    taskset CPU list for the servers (default: first allowed CPU)
  --load-cpus <list>      taskset CPU list for the load generator (default: second CPU)
  --out <dir>             report folder (default bench/results)
  --write-summary         also copy the Markdown report to bench/results/summary.md
  --keep                  keep the temporary folder (databases, server logs)
  --help                  this text
`;

export class OptionsError extends Error {}

/** Parses the command line; `env` supplies DATABASE_URL and REDIS_URL when no flag does. */
export function parseOptions(
  argv: readonly string[],
  cwd = process.cwd(),
  env: Readonly<Record<string, string | undefined>> = process.env,
): BenchOptions {
  const quick = argv.includes('--quick');
  const databaseFromEnv = nonEmpty(env.DATABASE_URL);
  const redisFromEnv = nonEmpty(env.REDIS_URL);
  const options: BenchOptions = {
    quick,
    durationSeconds: quick ? 3 : 15,
    warmupSeconds: quick ? 1 : 3,
    rounds: quick ? 1 : 5,
    connections: 32,
    pipelining: 8,
    scenarioFilters: [],
    databaseUrl: databaseFromEnv,
    redisUrl: redisFromEnv,
    databaseUrlFrom: databaseFromEnv === null ? null : 'DATABASE_URL',
    redisUrlFrom: redisFromEnv === null ? null : 'REDIS_URL',
    workers: null,
    outDir: join(cwd, 'bench', 'results'),
    writeSummary: false,
    scaleSmall: 1000,
    scaleLarge: quick ? 100_000 : 1_000_000,
    traceRatio: 1,
    otlpEndpoint: null,
    serverCpus: null,
    loadCpus: null,
    keep: false,
    help: false,
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? splitOnce(arg) : [arg, null];
    const value = (): string => {
      if (inline !== null) return inline;
      const next = argv[++i];
      if (next === undefined) throw new OptionsError(`${flag} needs a value`);
      return next;
    };

    switch (flag) {
      case '--quick':
        break;
      case '--duration':
        options.durationSeconds = positive(flag, value(), 1, 3600);
        break;
      case '--warmup':
        options.warmupSeconds = positive(flag, value(), 0, 600);
        break;
      case '--rounds':
        options.rounds = positive(flag, value(), 1, 100);
        break;
      case '--connections':
        options.connections = positive(flag, value(), 1, 10_000);
        break;
      case '--pipelining':
        options.pipelining = positive(flag, value(), 1, 256);
        break;
      case '--scenario':
        options.scenarioFilters.push(
          ...value()
            .split(',')
            .map((text) => text.trim())
            .filter((text) => text !== ''),
        );
        break;
      case '--database-url':
        options.databaseUrl = value();
        options.databaseUrlFrom = flag;
        break;
      case '--redis-url':
        options.redisUrl = value();
        options.redisUrlFrom = flag;
        break;
      case '--workers':
        options.workers = positive(flag, value(), 1, 256);
        break;
      case '--scale': {
        const [small, large] = value().split(',');
        options.scaleSmall = positive(flag, small ?? '', 1, 100_000_000);
        options.scaleLarge = positive(flag, large ?? '', 1, 100_000_000);
        break;
      }
      case '--trace-ratio': {
        const ratio = Number(value());
        if (!(ratio > 0 && ratio <= 1)) throw new OptionsError('--trace-ratio must be in (0, 1]');
        options.traceRatio = ratio;
        break;
      }
      case '--otlp-endpoint':
        options.otlpEndpoint = value().replace(/\/+$/, '');
        break;
      case '--server-cpus':
        options.serverCpus = cpuList(flag, value());
        break;
      case '--load-cpus':
        options.loadCpus = cpuList(flag, value());
        break;
      case '--out':
        options.outDir = resolve(cwd, value());
        break;
      case '--write-summary':
        options.writeSummary = true;
        break;
      case '--keep':
        options.keep = true;
        break;
      case '--help':
      case '-h':
        options.help = true;
        break;
      default:
        throw new OptionsError(`Unknown option ${arg} (see --help)`);
    }
  }
  return options;
}

function nonEmpty(text: string | undefined): string | null {
  return text === undefined || text.trim() === '' ? null : text;
}

function splitOnce(arg: string): [string, string] {
  const at = arg.indexOf('=');
  return [arg.slice(0, at), arg.slice(at + 1)];
}

function positive(flag: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new OptionsError(`${flag} must be an integer from ${min} to ${max} (got "${text}")`);
  }
  return value;
}

function cpuList(flag: string, text: string): string {
  if (!/^\d+(-\d+)?(,\d+(-\d+)?)*$/.test(text)) {
    throw new OptionsError(`${flag} must be a CPU list such as 0, 0-1 or 0,2 (got "${text}")`);
  }
  return text;
}
