import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';

import { readTelemetryConfig, type TelemetryConfig } from './telemetry/telemetry-config.js';

/** Typed, validated, frozen configuration. The only module that reads `process.env`. */
export interface Config {
  /** Environment name; `production` turns on the strict secret checks. */
  nodeEnv: string;
  /** HTTP port (8079). 0 picks a free port (tests). */
  port: number;
  /** `sqlite:<file>` (default `sqlite:data/eventflow.db`), `postgres://...`, `sqlserver://...`. */
  databaseUrl: string;
  /** Redis for the shared cache level, `redis://host:port/db` (`rediss://`: TLS); unset. */
  redisUrl: string | null;
  /** Redis Cluster seed nodes instead of REDIS_URL, `host:port,host:port` or URLs; unset. */
  redisClusterNodes: string[] | null;
  /** Longest a request waits for one Redis command before going on without it (150 ms). */
  redisCommandTimeoutMs: number;
  /** Near-cache entry lifetime: the staleness bound if invalidation messages are lost (3 s). */
  nearCacheTtlSeconds: number;
  /** Byte budget of the near cache in front of Redis (16 MiB). */
  nearCacheMaxBytes: number;
  jwt: JwtConfig;
  /** Lifetime of cached documents (600 s). */
  cacheTtlSeconds: number;
  /** Lifetime of the cached statistics document (5 s). */
  statisticsTtlSeconds: number;
  /** Byte budget of the in-process cache (64 MiB). */
  cacheMaxBytes: number;
  /**
   * False makes the server use a cache that never stores, so every cached read goes to the
   * database (benchmarks of the miss path). True by default.
   */
  cacheEnabled: boolean;
  /** Worker threads for database work and hashing (the number of cores, at least 2). */
  workers: number;
  /** Database connections per worker (PostgreSQL and SQL Server; SQLite uses one). */
  dbPoolSize: number;
  /** Largest accepted request body (64 KiB). */
  maxBodyBytes: number;
  /** Total time a request may take, reading included (10 s). */
  requestTimeoutMs: number;
  logLevel: string;
  seqUrl: string | null;
  seqApiKey: string | null;
  /** Tracing, sampling and metrics export: standard OTEL_* variables (docs/observability.md). */
  telemetry: TelemetryConfig;
  limits: LimitsConfig;
}

/** Rate limits and the password-hashing gate (README, Reliability). */
export interface LimitsConfig {
  /** Failed logins per account (e-mail) per window, known or not (5). */
  loginAccountLimit: number;
  /** Failed logins per client address per window (50). */
  loginAddressLimit: number;
  /** Window of both login limits (300 s). */
  loginWindowSeconds: number;
  /** Requests per client address per window on every API route; 0 turns it off (0). */
  clientRateLimit: number;
  /** Window of the per-client limit (10 s). */
  clientRateWindowSeconds: number;
  /**
   * Proxies in front of the API whose `X-Forwarded-For` entries are trusted (0): the client
   * is the address that many hops back. 0 uses the socket's peer address.
   */
  trustProxyHops: number;
  /** Password hashes running at once (the worker count). */
  hashConcurrency: number;
  /** Hashing requests allowed to wait; beyond it they get 503 (32). */
  hashQueueLimit: number;
}

export interface JwtConfig {
  secret: Uint8Array;
  /** True when the secret was generated for this process (development only). */
  isSecretGenerated: boolean;
  issuer: string;
  audience: string;
  /** Token lifetime (4 h). */
  lifetimeSeconds: number;
}

/** The placeholder committed in `.env.example`; never accepted in production. */
export const PLACEHOLDER_SECRET = 'change-me-to-a-random-secret-of-at-least-32-bytes';

const MIN_SECRET_BYTES = 32;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Reads and validates the environment, reporting every bad variable in one error. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const reader = new EnvReader(env, problems);
  const nodeEnv = env.NODE_ENV ?? 'development';
  const isProduction = nodeEnv === 'production';

  const port = reader.integer('PORT', 8079, 0, 65535);
  const databaseUrl = reader.string('DATABASE_URL') ?? 'sqlite:data/eventflow.db';
  if (!/^(sqlite:|postgres(ql)?:\/\/|sqlserver:\/\/|mssql:\/\/)/i.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with sqlite:, postgres://, sqlserver:// or mssql://');
  }

  const { redisUrl, redisClusterNodes } = readRedis(reader, problems);
  const jwt = readJwt(env, reader, problems, isProduction);
  const workers = reader.integer('WORKERS', Math.max(2, availableParallelism()), 1, 256);
  const config: Config = {
    nodeEnv,
    port,
    databaseUrl,
    redisUrl,
    redisClusterNodes,
    redisCommandTimeoutMs: reader.integer('REDIS_COMMAND_TIMEOUT_MS', 150, 10, 10_000),
    nearCacheTtlSeconds: reader.integer('NEAR_CACHE_TTL_SECONDS', 3, 1, 3600),
    nearCacheMaxBytes: reader.integer('NEAR_CACHE_MAX_BYTES', 16 * 1024 * 1024, 1024, 2 ** 40),
    jwt,
    cacheTtlSeconds: reader.integer('CACHE_TTL_SECONDS', 600, 1, 86_400 * 30),
    statisticsTtlSeconds: reader.integer('STATISTICS_TTL_SECONDS', 5, 1, 3600),
    cacheMaxBytes: reader.integer('CACHE_MAX_BYTES', 64 * 1024 * 1024, 1024, 2 ** 40),
    cacheEnabled: reader.boolean('CACHE_ENABLED', true),
    workers,
    dbPoolSize: reader.integer('DB_POOL_SIZE', 10, 1, 1000),
    maxBodyBytes: reader.integer('MAX_BODY_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    requestTimeoutMs: reader.integer('REQUEST_TIMEOUT_MS', 10_000, 100, 600_000),
    logLevel: reader.oneOf('LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    seqUrl: reader.string('SEQ_URL'),
    seqApiKey: reader.string('SEQ_API_KEY'),
    telemetry: readTelemetryConfig(env, problems),
    limits: {
      loginAccountLimit: reader.integer('LOGIN_ACCOUNT_LIMIT', 5, 1, 1_000_000),
      loginAddressLimit: reader.integer('LOGIN_ADDRESS_LIMIT', 50, 1, 1_000_000),
      loginWindowSeconds: reader.integer('LOGIN_LIMIT_WINDOW_SECONDS', 300, 1, 86_400),
      clientRateLimit: reader.integer('CLIENT_RATE_LIMIT', 0, 0, 100_000_000),
      clientRateWindowSeconds: reader.integer('CLIENT_RATE_WINDOW_SECONDS', 10, 1, 3600),
      trustProxyHops: reader.integer('TRUST_PROXY_HOPS', 0, 0, 16),
      hashConcurrency: reader.integer('HASH_CONCURRENCY', workers, 1, 256),
      hashQueueLimit: reader.integer('HASH_QUEUE_LIMIT', 32, 0, 100_000),
    },
  };

  if (problems.length > 0) throw new ConfigError(problems);

  return deepFreeze(config);
}

/** One Redis Cluster seed: `host:port`, `[v6]:port`, or a redis(s):// URL. */
const REDIS_NODE = /^(rediss?:\/\/.+|[^\s:/]+:\d+|\[[^\]]+\]:\d+)$/i;

function readRedis(reader: EnvReader, problems: string[]) {
  const redisUrl = reader.string('REDIS_URL');
  const nodesText = reader.string('REDIS_CLUSTER_NODES');
  const redisClusterNodes =
    nodesText === null ? null : nodesText.split(',').map((node) => node.trim());

  if (redisUrl !== null && !/^rediss?:\/\/[^/]/i.test(redisUrl)) {
    problems.push('REDIS_URL must look like redis://host:port or rediss://host:port');
  }
  if (redisClusterNodes?.some((node) => !REDIS_NODE.test(node))) {
    problems.push('REDIS_CLUSTER_NODES must be a comma-separated list of host:port');
  }
  if (redisUrl !== null && redisClusterNodes !== null) {
    problems.push('Set REDIS_URL or REDIS_CLUSTER_NODES, not both');
  }
  return { redisUrl, redisClusterNodes };
}

function readJwt(env: Env, reader: EnvReader, problems: string[], isProduction: boolean) {
  const text = reader.string('JWT_SECRET');
  let secret: Uint8Array;
  let isSecretGenerated = false;

  if (text === null) {
    if (isProduction) {
      problems.push(`JWT_SECRET is required in production (at least ${MIN_SECRET_BYTES} bytes)`);
    }
    secret = randomBytes(MIN_SECRET_BYTES);
    isSecretGenerated = true;
  } else {
    secret = new TextEncoder().encode(text);
    if (isProduction && secret.byteLength < MIN_SECRET_BYTES) {
      problems.push(`JWT_SECRET must be at least ${MIN_SECRET_BYTES} bytes in production`);
    }
    if (isProduction && text === PLACEHOLDER_SECRET) {
      problems.push('JWT_SECRET is still the placeholder from .env.example; set a random secret');
    }
  }

  return {
    secret,
    isSecretGenerated,
    issuer: env.JWT_ISSUER ?? 'eventflow',
    audience: env.JWT_AUDIENCE ?? 'eventflow-clients',
    lifetimeSeconds: reader.integer('JWT_LIFETIME_SECONDS', 4 * 3600, 60, 86_400),
  };
}

class EnvReader {
  constructor(
    private readonly env: Env,
    private readonly problems: string[],
  ) {}

  string(name: string): string | null {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? null : value.trim();
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const text = this.string(name);
    if (text === null) return fallback;

    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${text}")`);
      return fallback;
    }
    return value;
  }

  /** `true`/`false` (also `1`/`0`, `yes`/`no`, `on`/`off`), case-insensitive. */
  boolean(name: string, fallback: boolean): boolean {
    const text = this.string(name);
    if (text === null) return fallback;

    const lower = text.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(lower)) return true;
    if (['false', '0', 'no', 'off'].includes(lower)) return false;
    this.problems.push(`${name} must be true or false (got "${text}")`);
    return fallback;
  }

  oneOf(name: string, fallback: string, allowed: string[]): string {
    const text = this.string(name);
    if (text === null) return fallback;
    if (allowed.includes(text)) return text;

    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${text}")`);
    return fallback;
  }
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (inner !== null && typeof inner === 'object' && !ArrayBuffer.isView(inner)) {
      deepFreeze(inner as object);
    }
  }
  return Object.freeze(value);
}

/** Connection strings may carry passwords; logs and messages get them without credentials. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
