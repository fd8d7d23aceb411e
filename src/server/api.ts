import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import uWS from 'uWebSockets.js';
import { CacheAside } from '../cache/cache-aside.js';
import type { Cache } from '../cache/cache.js';
import { createCache } from '../cache/create-cache.js';
import { openRedisConnections } from '../cache/redis-connection.js';
import { redactUrl, type Config } from '../config.js';
import { projectRoot } from '../paths.js';
import { createTokenVerifier } from '../security/tokens.js';
import { closeLogger, type Logger } from '../telemetry/logger.js';
import { cacheFamilies, databaseFamilies, poolFamilies } from '../telemetry/runtime-metrics.js';
import { Telemetry } from '../telemetry/telemetry.js';
import { flushWorkerLogs } from '../telemetry/worker-log-flush.js';
import { TaskPool } from '../workers/task-pool.js';
import { HttpApp } from './http-app.js';
import { listRulesOf } from './list-rules.js';
import { RequestLimits } from './request-limits.js';
import { Router } from './router.js';
import { ROUTES } from './routes.js';
import { StaticAssets } from './static-assets.js';
import { createBodyValidator } from './validation.js';

export interface RunningApi {
  /** The port actually bound (useful with PORT=0). */
  port: number;
  cache: Cache;
  pool: TaskPool;
  /** Stops accepting, lets in-flight requests finish (up to `drainMs`), closes the pools. */
  close(drainMs?: number): Promise<void>;
}

/**
 * Composition of the API: worker pool (which owns the database), migrations, cache, and the
 * uWebSockets.js front end. Migrations run in a worker so the main thread never holds a
 * database connection.
 */
export async function startApi(config: Config, log: Logger): Promise<RunningApi> {
  const openapiText = readFileSync(join(projectRoot(), 'openapi.json'), 'utf8');
  const openapi = JSON.parse(openapiText) as {
    components: { schemas: Record<string, unknown> } & Record<string, unknown>;
  };

  const telemetry = new Telemetry(config.telemetry, log, ROUTES);
  const seq = config.seqUrl === null ? null : { url: config.seqUrl, apiKey: config.seqApiKey };
  const dbPoolSize = Math.max(1, Math.ceil(config.dbPoolSize / config.workers));
  const pool = new TaskPool({
    workers: config.workers,
    settings: {
      databaseUrl: config.databaseUrl,
      dbPoolSize,
      jwt: config.jwt,
      logLevel: config.logLevel,
      seq,
      databaseCounters: telemetry.databaseCounters.buffer,
    },
    onError: (error) => log.error({ err: error }, 'worker thread failed outside a task'),
  });

  const migration = await pool.run({ operation: 'migrate', input: { params: {} } });
  if (migration.status !== 204) {
    await pool.close();
    await telemetry.close();
    throw new Error(`Database migration failed: ${migration.problem?.detail ?? migration.status}`);
  }

  const cache = createCache(config, log);
  const limits = createRequestLimits(config, log);
  const http = new HttpApp({
    config,
    router: new Router(ROUTES),
    pool,
    cacheAside: new CacheAside(cache, { maxShareMs: config.requestTimeoutMs }),
    validator: createBodyValidator(openapi),
    listRules: listRulesOf(openapi),
    tokens: createTokenVerifier(config.jwt),
    assets: new StaticAssets(openapiText),
    log,
    telemetry,
    limits,
  });

  const listenSocket = await listen(http, config.port);
  const port = uWS.us_socket_local_port(listenSocket);
  const connectionsPerWorker = /^sqlite:/i.test(config.databaseUrl) ? 1 : dbPoolSize;
  telemetry.requests.port = port;
  telemetry.addSource(() => cacheFamilies(cache.stats()));
  telemetry.addSource(() => poolFamilies(pool, http.inFlight));
  telemetry.addSource(() =>
    databaseFamilies(telemetry.databaseCounters, connectionsPerWorker * config.workers),
  );
  log.info({ port, database: redactUrl(config.databaseUrl), workers: config.workers }, 'listening');

  let closing: Promise<void> | null = null;
  return {
    port,
    cache,
    pool,
    close(drainMs = 10_000) {
      closing ??= (async () => {
        uWS.us_listen_socket_close(listenSocket);
        const deadline = Date.now() + drainMs;
        while (http.inFlight > 0 && Date.now() < deadline) await sleep(20);
        if (seq !== null) await flushWorkerLogs(pool.threadCount);
        await pool.close();
        await cache.close();
        await limits.close();
        // Spans of the last requests (workers' included) are exported before the logs close.
        await telemetry.close();
        log.info({ unfinished: http.inFlight }, 'stopped');
        await closeLogger(log);
      })();
      return closing;
    },
  };
}

/** Limits count in Redis when the cache has one (a connection of their own), else in memory. */
function createRequestLimits(config: Config, log: Logger): RequestLimits {
  const hasRedis = config.redisUrl !== null || config.redisClusterNodes !== null;
  const redis = hasRedis
    ? {
        client: openRedisConnections({
          url: config.redisUrl,
          clusterNodes: config.redisClusterNodes,
          commandTimeoutMs: config.redisCommandTimeoutMs,
        }).client,
        commandTimeoutMs: config.redisCommandTimeoutMs,
      }
    : null;
  return new RequestLimits({ config: config.limits, redis, log });
}

function listen(http: HttpApp, port: number): Promise<uWS.us_listen_socket> {
  return new Promise((resolve, reject) => {
    http.app.listen('0.0.0.0', port, (socket) => {
      if (socket === false) reject(new Error(`Cannot listen on port ${port}`));
      else resolve(socket);
    });
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
