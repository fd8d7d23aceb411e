import {
  type PostgresCursor,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  type PostgresQueryResult,
} from 'kysely';
import pg from 'pg';

import { CircuitBreaker } from '../../domain/circuit-breaker.js';
import type { DialectOptions } from '../dialect-options.js';
import { errorCode } from '../error-kind.js';
import { PostgresConnectionLostError } from './connection-lost-error.js';

/**
 * Longest wait for a pooled connection (or a new one) before the query fails. Well inside
 * the 10 s request deadline, so that a database that stopped answering (a partition drops
 * packets rather than refusing them) gets a 503 in seconds, with time left for one retry.
 */
const CONNECTION_TIMEOUT_MS = 3_000;
/** Idle connections are closed after this long. */
const IDLE_TIMEOUT_MS = 30_000;
/**
 * Longest a statement may wait for its answer before its connection is given up. Every
 * statement here takes milliseconds; one that has had no answer for this long is on a
 * connection to a server that stopped answering (a partition drops packets, so nothing
 * ever says the connection died), and would otherwise hold its worker slot forever.
 */
const STATEMENT_WATCHDOG_MS = 5_000;
/** Consecutive failed checkouts that open the breaker, and the pause before a probe. */
const BREAKER_FAILURES = 3;
const BREAKER_COOL_DOWN_MS = 1_000;

/**
 * PostgreSQL through a `pg` Pool of `poolSize` connections. `url` is passed to pg as its
 * connection string (`postgres://user:pass@host:5432/db?sslmode=require`).
 */
export function createPostgresDialect(url: string, options: DialectOptions): PostgresDialect {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    connectionTimeoutMillis: CONNECTION_TIMEOUT_MS,
    idleTimeoutMillis: IDLE_TIMEOUT_MS,
    // Probes idle connections, so one whose server vanished without a FIN is found out.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'eventflow',
  });

  // An idle client that errors (server restart, pg_terminate_backend) is reported here;
  // without a listener the 'error' event would crash the process. The pool drops it.
  pool.on('error', options.onConnectionError);

  // The pool listens for errors only while a client is idle. A client checked out between
  // two statements of a transaction can lose its server too, and its 'error' event needs
  // a listener of its own. The events also mark the client as lost (see below).
  const lostClients = new WeakSet<pg.PoolClient>();
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      lostClients.add(client);
      options.onConnectionError(error);
    });
    client.on('end', () => lostClients.add(client));
  });

  const breaker = new CircuitBreaker({
    failureThreshold: BREAKER_FAILURES,
    coolDownMs: BREAKER_COOL_DOWN_MS,
    onChange: (state, previous, cause) => options.onBreakerChange?.(state, previous, cause),
  });
  return new PostgresDialect({ pool: guardedPool(pool, lostClients, breaker) });
}

/**
 * The pool as Kysely sees it, except that a query failing without a SQLSTATE on a client
 * that has reported losing its connection (pg's 'error'/'end' events come before the
 * query's rejection) is rethrown as PostgresConnectionLostError, so it is retried like any
 * other dropped connection. pg-pool discards such a client when it is released. So is a
 * checkout that fails without a code: pg-pool's own timeout ("timeout exceeded when trying
 * to connect") and a connection that ended during start-up, both a database out of reach.
 *
 * Checkouts pass a circuit breaker: after three in a row failed (refused, timed out), the
 * next ones fail at once for a second, then one probe tries; so while the database is out
 * of reach each request is answered 503 in milliseconds instead of a checkout timeout.
 */
function guardedPool(
  pool: pg.Pool,
  lostClients: WeakSet<pg.PoolClient>,
  breaker: CircuitBreaker,
): PostgresPool {
  return {
    connect: async () => {
      if (!breaker.isClosed && !breaker.tryHalfOpen()) {
        throw new PostgresConnectionLostError(new Error('database breaker open'));
      }
      try {
        const client = await pool.connect();
        if (breaker.state === 'half-open') breaker.close();
        else breaker.recordSuccess();
        return new LossAwareClient(client, lostClients);
      } catch (error) {
        if (breaker.state === 'half-open') breaker.trip(error);
        else breaker.recordFailure(error);
        if (errorCode(error) === undefined) throw new PostgresConnectionLostError(error);
        throw error;
      }
    },
    end: () => pool.end(),
  };
}

class LossAwareClient implements PostgresPoolClient {
  readonly #client: pg.PoolClient;
  readonly #lostClients: WeakSet<pg.PoolClient>;

  constructor(client: pg.PoolClient, lostClients: WeakSet<pg.PoolClient>) {
    this.#client = client;
    this.#lostClients = lostClients;
  }

  query<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>>;
  query<R>(cursor: PostgresCursor<R>): PostgresCursor<R>;
  query<R>(
    sqlOrCursor: string | PostgresCursor<R>,
    parameters: readonly unknown[] = [],
  ): Promise<PostgresQueryResult<R>> | PostgresCursor<R> {
    if (typeof sqlOrCursor !== 'string') {
      // Streaming hands pg a cursor object; it is passed through untouched.
      const cursor = sqlOrCursor as unknown as pg.Submittable;
      return this.#client.query(cursor) as unknown as PostgresCursor<R>;
    }

    return this.#run<R>(sqlOrCursor, parameters);
  }

  release(destroy?: boolean): void {
    this.#client.release(destroy);
  }

  async #run<R>(sql: string, parameters: readonly unknown[]): Promise<PostgresQueryResult<R>> {
    const watchdog = setTimeout(() => this.#giveUp(), STATEMENT_WATCHDOG_MS);
    try {
      // pg's result type is looser than Kysely's (rowCount may be null for some commands).
      return (await this.#client.query(sql, [...parameters])) as unknown as PostgresQueryResult<R>;
    } catch (error) {
      if (errorCode(error) === undefined && this.#lostClients.has(this.#client)) {
        throw new PostgresConnectionLostError(error);
      }

      throw error;
    } finally {
      clearTimeout(watchdog);
    }
  }

  /**
   * Ends a connection whose statement got no answer in time: its socket is destroyed, so pg
   * rejects the statement ("Connection terminated") and pg-pool drops the client on release.
   */
  #giveUp(): void {
    this.#lostClients.add(this.#client);
    this.#client.connection.stream.destroy();
  }
}
