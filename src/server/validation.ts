import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parseEventDate } from '../domain/dates.js';
import type { FieldErrors } from '../domain/errors.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable is `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

export type ValidationOutcome = { ok: true } | { ok: false; errors: FieldErrors };

export interface BodyValidator {
  validate(schemaName: string, value: unknown): ValidationOutcome;
}

const SCHEMA_ID = 'urn:eventflow:openapi';

/**
 * Request body validators compiled once from openapi.json's `components.schemas`, so the
 * schemas live in one place. OpenAPI refs (`#/components/schemas/X`) are rewritten to
 * `$defs` of one synthetic root schema. Ajv stops at the first error (no `allErrors`: a
 * hostile body cannot make it collect thousands) and `$data` stays off.
 */
export function createBodyValidator(openapi: {
  components: { schemas: Record<string, unknown> };
}): BodyValidator {
  const ajv = new Ajv2020({ strict: true, allErrors: false, $data: false, coerceTypes: false });
  addFormats(ajv, ['date-time', 'email', 'uri']);
  ajv.addFormat('event-date', {
    type: 'string',
    validate: (text: string) => parseEventDate(text) !== null,
  });

  const $defs = rewriteRefs(openapi.components.schemas) as Record<string, unknown>;
  ajv.addSchema({ $id: SCHEMA_ID, $defs });

  const compiled = new Map<string, ValidateFunction>();
  for (const name of Object.keys($defs)) {
    compiled.set(name, ajv.compile({ $ref: `${SCHEMA_ID}#/$defs/${name}` }));
  }

  return {
    validate(schemaName, value) {
      const validate = compiled.get(schemaName);
      if (validate === undefined) throw new Error(`No schema named ${schemaName} in openapi.json`);
      if (validate(value)) return { ok: true };

      return { ok: false, errors: toFieldErrors(validate.errors ?? []) };
    },
  };
}

function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;

  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] =
      key === '$ref' && typeof value === 'string'
        ? value.replace('#/components/schemas/', `${SCHEMA_ID}#/$defs/`)
        : rewriteRefs(value);
  }
  return copy;
}

/** Ajv errors as `{ "field/path": ["message"] }`; the body root is `body`. */
function toFieldErrors(errors: ErrorObject[]): FieldErrors {
  // No prototype: a rejected property may be named `__proto__` or `constructor`.
  const result: FieldErrors = Object.create(null) as FieldErrors;
  for (const error of errors) {
    const base = error.instancePath.slice(1);
    let path = base;
    let message = error.message ?? 'is not valid';

    if (error.keyword === 'required') {
      path = join(base, String(error.params.missingProperty));
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      path = join(base, String(error.params.additionalProperty));
      message = 'is not an allowed property';
    } else if (error.keyword === 'format' && error.params.format === 'event-date') {
      message = 'must be an ISO 8601 date-time, a date (yyyy-MM-dd) or dd/MM/yyyy';
    }

    const key = path === '' ? 'body' : path;
    (result[key] ??= []).push(message);
  }
  return result;
}

function join(base: string, name: string): string {
  return base === '' ? name : `${base}/${name}`;
}
