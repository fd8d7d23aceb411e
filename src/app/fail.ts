import { type ErrorCode, type Failure, type FieldErrors, failure } from '../domain/errors.js';
import type { OperationFailure } from './operation.js';

/** An expected failure of an operation (see the catalogue in src/domain/errors.ts). */
export function fail(code: ErrorCode, detail: string, errors?: FieldErrors): OperationFailure {
  return { ok: false, ...failure(code, detail, errors) };
}

/** A domain Failure (from src/domain/rules.ts) as an operation result. */
export function failWith(reason: Failure): OperationFailure {
  return { ok: false, ...reason };
}

/** 404 NOT_FOUND for `<Resource> <id>`, e.g. notFound('Event', 42). */
export function notFound(resource: string, id: number): OperationFailure {
  return fail('NOT_FOUND', `${resource} ${id} was not found.`);
}
