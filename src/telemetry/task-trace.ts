import { AsyncLocalStorage } from 'node:async_hooks';

import {
  type AttributeValue,
  epochMs,
  exceptionEvent,
  SPAN_KIND,
  type SpanRecord,
  STATUS,
} from './span-record.js';
import { newSpanId, parseTraceparent } from './trace-context.js';

/**
 * The trace context of one task in a worker, reachable from anything the task awaits (the
 * database hook, the logger's mixin) through AsyncLocalStorage. Workers run several tasks at
 * once, so a module-level "current request" would mix them up.
 */
export interface TaskTrace {
  traceId: string;
  /** The span that dispatched the task on the main thread (pool.run). */
  parentSpanId: string;
  /** The use-case span; null when the request is not recorded (log correlation only). */
  spanId: string | null;
  /** Spans of this task; null when not recorded. */
  spans: SpanRecord[] | null;
  startedAt: number;
  error: unknown;
}

const storage = new AsyncLocalStorage<TaskTrace>();

/** The trace of a task from its `traceparent` (sampled flag: record spans); null without one. */
export function startTaskTrace(traceparent: string | undefined): TaskTrace | null {
  const parent = traceparent === undefined ? null : parseTraceparent(traceparent);
  if (parent === null) return null;

  const isRecording = parent.isSampled;
  return {
    traceId: parent.traceId,
    parentSpanId: parent.spanId,
    spanId: isRecording ? newSpanId() : null,
    spans: isRecording ? [] : null,
    startedAt: performance.now(),
    error: undefined,
  };
}

export function runInTaskTrace<T>(trace: TaskTrace, work: () => Promise<T>): Promise<T> {
  return storage.run(trace, work);
}

/** The trace of the task whose code is running, if any. */
export function currentTaskTrace(): TaskTrace | undefined {
  return storage.getStore();
}

/** Fields the worker logger adds to every line written inside a task. */
export function taskLogFields(): { trace_id?: string; span_id?: string } {
  const trace = storage.getStore();
  if (trace === undefined) return {};
  return trace.spanId === null
    ? { trace_id: trace.traceId }
    : { trace_id: trace.traceId, span_id: trace.spanId };
}

/** Remembers an unexpected error of the running task for its span. */
export function noteTaskError(error: unknown): void {
  const trace = storage.getStore();
  if (trace !== undefined) trace.error = error;
}

/**
 * Ends the use-case span (named after the operation) and returns every span of the task, to
 * travel back to the main thread in the task response.
 */
export function finishTaskTrace(
  trace: TaskTrace,
  operation: string,
  status: number,
  problemCode: string | undefined,
): SpanRecord[] | undefined {
  if (trace.spans === null || trace.spanId === null) return undefined;

  const endedAt = performance.now();
  const attributes: Record<string, AttributeValue> = {
    'eventflow.operation': operation,
    'eventflow.status': status,
  };
  if (problemCode !== undefined) attributes['eventflow.problem.code'] = problemCode;
  const isError = status >= 500;
  if (isError) attributes['error.type'] = problemCode ?? String(status);

  trace.spans.push({
    traceId: trace.traceId,
    spanId: trace.spanId,
    parentSpanId: trace.parentSpanId,
    name: operation,
    kind: SPAN_KIND.internal,
    startMs: epochMs(trace.startedAt),
    endMs: epochMs(endedAt),
    status: isError ? STATUS.error : STATUS.unset,
    attributes,
    ...(trace.error === undefined
      ? {}
      : { events: [exceptionEvent(trace.error, epochMs(endedAt))] }),
  });
  return trace.spans;
}
