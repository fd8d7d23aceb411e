import {
  AliasNode,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type OperationNode,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
  DeleteQueryNode,
  InsertQueryNode,
  SelectQueryNode,
  TableNode,
  UpdateQueryNode,
} from 'kysely';

import type { DialectName } from '../db/dialect-name.js';
import type { DatabaseCounters } from './database-counters.js';
import { type AttributeValue, epochMs, exceptionEvent, SPAN_KIND, STATUS } from './span-record.js';
import { currentTaskTrace } from './task-trace.js';
import { newSpanId } from './trace-context.js';

/** Longest statement text put on a span; longer ones are cut (a long IN list, a migration). */
const MAX_QUERY_TEXT = 4000;

const SYSTEMS: Record<DialectName, { legacy: string; name: string }> = {
  sqlite: { legacy: 'sqlite', name: 'sqlite' },
  postgres: { legacy: 'postgresql', name: 'postgresql' },
  mssql: { legacy: 'mssql', name: 'microsoft.sql_server' },
};

/**
 * Wraps a Kysely dialect so that every executed statement becomes a database span of the
 * running task (when it is traced) and connection checkouts are counted for the pool
 * metrics. Statements are recorded as compiled, with placeholders: values are never read.
 * Transaction control (begin, commit) goes to the wrapped driver unchanged and unrecorded.
 */
export function instrumentDialect(
  dialect: Dialect,
  name: DialectName,
  counters: DatabaseCounters,
): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new InstrumentedDriver(dialect.createDriver(), name, counters),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

class InstrumentedDriver implements Driver {
  readonly #driver: Driver;
  readonly #system: { legacy: string; name: string };
  readonly #counters: DatabaseCounters;
  readonly #inner = new WeakMap<DatabaseConnection, DatabaseConnection>();
  readonly savepoint?: Driver['savepoint'];
  readonly rollbackToSavepoint?: Driver['rollbackToSavepoint'];
  readonly releaseSavepoint?: Driver['releaseSavepoint'];

  constructor(driver: Driver, name: DialectName, counters: DatabaseCounters) {
    this.#driver = driver;
    this.#system = SYSTEMS[name];
    this.#counters = counters;
    // Optional driver methods exist here only where the wrapped driver has them.
    if (driver.savepoint !== undefined) {
      this.savepoint = (connection, savepoint, compile) =>
        this.#savepointCall('savepoint', connection, savepoint, compile);
    }
    if (driver.rollbackToSavepoint !== undefined) {
      this.rollbackToSavepoint = (connection, savepoint, compile) =>
        this.#savepointCall('rollbackToSavepoint', connection, savepoint, compile);
    }
    if (driver.releaseSavepoint !== undefined) {
      this.releaseSavepoint = (connection, savepoint, compile) =>
        this.#savepointCall('releaseSavepoint', connection, savepoint, compile);
    }
  }

  init(): Promise<void> {
    return this.#driver.init();
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const waitStarted = performance.now();
    this.#counters.add('waiting', 1);
    let connection: DatabaseConnection;
    try {
      connection = await this.#driver.acquireConnection();
    } finally {
      this.#counters.add('waiting', -1);
    }
    this.#counters.add('inUse', 1);
    this.#counters.add('acquiredTotal', 1);
    this.#counters.add('acquireWaitMicros', Math.round((performance.now() - waitStarted) * 1000));

    const wrapped = new InstrumentedConnection(connection, this.#system, this.#counters);
    this.#inner.set(wrapped, connection);
    return wrapped;
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.#driver.beginTransaction(this.#unwrap(connection), settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#driver.commitTransaction(this.#unwrap(connection));
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#driver.rollbackTransaction(this.#unwrap(connection));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    this.#counters.add('inUse', -1);
    await this.#driver.releaseConnection(this.#unwrap(connection));
  }

  destroy(): Promise<void> {
    return this.#driver.destroy();
  }

  #savepointCall(
    method: 'savepoint' | 'rollbackToSavepoint' | 'releaseSavepoint',
    connection: DatabaseConnection,
    savepoint: string,
    compile: QueryCompiler['compileQuery'],
  ): Promise<void> {
    const call = this.#driver[method] as NonNullable<Driver['savepoint']>;
    return call.call(this.#driver, this.#unwrap(connection), savepoint, compile);
  }

  #unwrap(connection: DatabaseConnection): DatabaseConnection {
    return this.#inner.get(connection) ?? connection;
  }
}

class InstrumentedConnection implements DatabaseConnection {
  readonly #connection: DatabaseConnection;
  readonly #system: { legacy: string; name: string };
  readonly #counters: DatabaseCounters;

  constructor(
    connection: DatabaseConnection,
    system: { legacy: string; name: string },
    counters: DatabaseCounters,
  ) {
    this.#connection = connection;
    this.#system = system;
    this.#counters = counters;
  }

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    this.#counters.add('queriesTotal', 1);
    const trace = currentTaskTrace();
    if (trace?.spans == null) {
      try {
        return await this.#connection.executeQuery<R>(query);
      } catch (error) {
        this.#counters.add('queryErrorsTotal', 1);
        throw error;
      }
    }

    const startedAt = performance.now();
    let failure: unknown;
    try {
      return await this.#connection.executeQuery<R>(query);
    } catch (error) {
      this.#counters.add('queryErrorsTotal', 1);
      failure = error;
      throw error;
    } finally {
      const endedAt = performance.now();
      const { operation, table } = describeQuery(query);
      const attributes: Record<string, AttributeValue> = {
        'db.system': this.#system.legacy,
        'db.system.name': this.#system.name,
        'db.operation.name': operation,
        'db.query.text':
          query.sql.length > MAX_QUERY_TEXT ? query.sql.slice(0, MAX_QUERY_TEXT) : query.sql,
      };
      if (table !== null) attributes['db.collection.name'] = table;
      if (failure !== undefined) attributes['error.type'] = errorType(failure);

      trace.spans.push({
        traceId: trace.traceId,
        spanId: newSpanId(),
        parentSpanId: trace.spanId,
        name: table === null ? operation : `${operation} ${table}`,
        kind: SPAN_KIND.client,
        startMs: epochMs(startedAt),
        endMs: epochMs(endedAt),
        status: failure === undefined ? STATUS.unset : STATUS.error,
        attributes,
        ...(failure === undefined ? {} : { events: [exceptionEvent(failure, epochMs(endedAt))] }),
      });
    }
  }

  streamQuery<R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    this.#counters.add('queriesTotal', 1);
    return this.#connection.streamQuery<R>(query, chunkSize);
  }
}

/** The statement's operation and main table, from Kysely's operation tree (or its text). */
export function describeQuery(query: CompiledQuery): { operation: string; table: string | null } {
  const node = query.query as OperationNode;
  if (SelectQueryNode.is(node)) return { operation: 'select', table: tableOf(node.from?.froms[0]) };
  if (InsertQueryNode.is(node)) return { operation: 'insert', table: tableOf(node.into) };
  if (UpdateQueryNode.is(node)) return { operation: 'update', table: tableOf(node.table) };
  if (DeleteQueryNode.is(node)) return { operation: 'delete', table: tableOf(node.from.froms[0]) };

  // Raw SQL (sql`...`): the first keyword, and the name after FROM / INTO / UPDATE.
  const text = query.sql.trimStart();
  const operation = /^[a-z]+/i.exec(text)?.[0]?.toLowerCase() ?? 'query';
  const table = /\b(?:from|into|update)\s+["[`]?([A-Za-z_][\w]*)/i.exec(text)?.[1] ?? null;
  return { operation, table };
}

function tableOf(node: OperationNode | undefined): string | null {
  if (node === undefined) return null;
  if (AliasNode.is(node)) return tableOf(node.node);
  if (TableNode.is(node)) return node.table.identifier.name;
  return null;
}

/** A low-cardinality error name: the driver's code (SQLSTATE, SQLite code) or the class. */
function errorType(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') return String(code);
    if (error instanceof Error) return error.name;
  }
  return 'Error';
}
