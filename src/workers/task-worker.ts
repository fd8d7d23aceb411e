import { createHash } from 'node:crypto';
import { workerData } from 'piscina';
import type { AppContext } from '../app/context.js';
import { keysMadeStaleBy } from '../app/database-work.js';
import { idempotencyScopeOf } from '../app/idempotent-write.js';
import { OPERATIONS } from '../app/operations.js';
import type { OperationResult } from '../app/operation.js';
import { openDatabase, type DatabaseHandle } from '../db/connect.js';
import { CommitOutcomeUnknownError } from '../db/commit-outcome-unknown-error.js';
import { isTransientDatabaseError } from '../db/error-classifier.js';
import { migrateToLatest } from '../db/migrate.js';
import { ScryptPasswordHasher } from '../security/passwords.js';
import { createTokenIssuer } from '../security/tokens.js';
import { ERROR_CATALOGUE } from '../domain/errors.js';
import { DatabaseCounters } from '../telemetry/database-counters.js';
import { instrumentDialect } from '../telemetry/instrumented-dialect.js';
import { createLogger, flushSeq } from '../telemetry/logger.js';
import { epochMs } from '../telemetry/span-record.js';
import {
  finishTaskTrace,
  noteTaskError,
  runInTaskTrace,
  startTaskTrace,
  taskLogFields,
} from '../telemetry/task-trace.js';
import { answerLogFlushes } from '../telemetry/worker-log-flush.js';
import { startIdempotencyPurge } from './idempotency-purge.js';
import type { TaskRequest, TaskResponse, WorkerSettings } from './protocol.js';

/**
 * Piscina task entry. Each worker owns its own database connections (the main thread holds
 * none), runs one operation per task and answers with the serialised response body.
 */
const settings = workerData as WorkerSettings;
// Lines written inside a task carry its trace and span ids (task-trace.ts).
const log = createLogger({
  level: settings.logLevel,
  thread: 'worker',
  seq: settings.seq,
  context: taskLogFields,
});
if (settings.seq !== null) answerLogFlushes(() => flushSeq(log));
const databaseCounters = new DatabaseCounters(settings.databaseCounters);

let context: Promise<AppContext> | null = null;
let database: DatabaseHandle | null = null;

function getContext(): Promise<AppContext> {
  if (context !== null) return context;

  const opening = openDatabase(settings.databaseUrl, {
    poolSize: settings.dbPoolSize,
    onConnectionError: (error) => log.warn({ err: error }, 'database connection error'),
    onBreakerChange: (state, previous, cause) => {
      if (state === 'open') log.warn({ err: cause, previous }, 'database breaker open');
      else if (state === 'closed') log.info({ previous }, 'database breaker closed');
    },
    instrument: (dialect, name) => instrumentDialect(dialect, name, databaseCounters),
  }).then(
    (handle: DatabaseHandle) => {
      database = handle;
      startIdempotencyPurge({ db: handle.db, dialect: handle.dialect }, log);
      return {
        db: handle.db,
        dialect: handle.dialect,
        passwords: new ScryptPasswordHasher(),
        tokens: createTokenIssuer(settings.jwt),
        now: () => new Date(),
      };
    },
    (error: unknown) => {
      context = null;
      throw error;
    },
  );
  context = opening;
  return opening;
}

/**
 * Runs one task. With a `traceparent` the task runs inside its trace context; when sampled,
 * its spans (use case, queries) go back in the response to join the request's trace.
 */
export default function runTask(task: TaskRequest): Promise<TaskResponse> {
  const trace = startTaskTrace(task.traceparent);
  if (trace === null) return runOperation(task);

  return runInTaskTrace(trace, () => runOperation(task)).then((response) => {
    const spans = finishTaskTrace(trace, task.operation, response.status, response.problem?.code);
    if (spans !== undefined) {
      response.spans = spans;
      response.startedAtMs = epochMs(trace.startedAt);
    }
    return response;
  });
}

async function runOperation(task: TaskRequest): Promise<TaskResponse> {
  try {
    const app = await getContext();
    if (task.operation === 'migrate') {
      await migrateToLatest(database!);
      return { status: 204, body: null, invalidate: [] };
    }

    // A task runs on its own copy of the context when it carries a deadline (retries stop
    // there) or an Idempotency-Key (recorded with the write).
    const scope = idempotencyScopeOf(task.operation, task.input);
    const ctx: AppContext =
      scope === null && task.deadlineAt === undefined
        ? app
        : {
            ...app,
            deadlineAt: task.deadlineAt,
            ...(scope === null ? {} : { idempotency: scope }),
          };
    const result = await OPERATIONS[task.operation](ctx, task.input);
    return withHealthChecks(task, toResponse(result, task.wantsEtag === true));
  } catch (error) {
    noteTaskError(error);
    return withHealthChecks(task, toErrorResponse(task, error));
  }
}

/** Readiness failures name the dependency that is down (RFC 9457 extension member). */
function withHealthChecks(task: TaskRequest, response: TaskResponse): TaskResponse {
  if (task.operation !== 'health.ready' || response.problem === undefined) return response;

  response.problem.extensions = { checks: { database: 'down' } };
  return response;
}

function toResponse(result: OperationResult, wantsEtag: boolean): TaskResponse {
  if (!result.ok) {
    const { ok: _ok, ...problem } = result;
    return { status: ERROR_CATALOGUE[problem.code].status, body: null, problem, invalidate: [] };
  }

  const body =
    result.bodyText !== undefined
      ? result.bodyText
      : result.value === undefined
        ? null
        : JSON.stringify(result.value);
  const response: TaskResponse = { status: result.status, body, invalidate: result.invalidate };
  if (wantsEtag && body !== null) response.etag = entityTag(body);
  if (result.location !== undefined) response.location = result.location;
  if (result.page !== undefined) response.page = result.page;
  if (result.isReplay === true) response.isReplay = true;
  return response;
}

function toErrorResponse(task: TaskRequest, error: unknown): TaskResponse {
  if (
    isTransientDatabaseError(error, database?.dialect) ||
    error instanceof CommitOutcomeUnknownError
  ) {
    log.warn({ err: error, operation: task.operation }, 'database unavailable');
    return {
      status: 503,
      body: null,
      // A write whose COMMIT failed may have committed: its stale keys are dropped anyway.
      invalidate: error instanceof CommitOutcomeUnknownError ? keysMadeStaleBy(error) : [],
      retryAfterSeconds: 2,
      problem: { code: 'SERVICE_UNAVAILABLE', detail: 'The database is not reachable.' },
    };
  }

  log.error({ err: error, operation: task.operation }, 'operation failed');
  return {
    status: 500,
    body: null,
    invalidate: [],
    problem: { code: 'INTERNAL_ERROR', detail: 'The operation failed unexpectedly.' },
  };
}

/** Strong entity tag of the exact bytes sent: 16 bytes of SHA-1, base64url. */
function entityTag(body: string): string {
  return `"${createHash('sha1').update(body).digest('base64url').slice(0, 22)}"`;
}
