/**
 * Checks real responses of the running server against openapi.json: the declared status,
 * content type, required headers and the body schema of each operation's response.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import * as assert from 'uvu/assert';
import { ERROR_CATALOGUE, type ErrorCode } from '../../src/domain/errors.js';
import { projectRoot } from '../../src/paths.js';
import type { TestResponse } from './server.js';

// ajv-formats is CommonJS with a default export; under NodeNext the callable is `.default`.
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

type JsonObject = Record<string, unknown>;

/** A problem document as the contract defines it (RFC 9457 plus `code` and `traceId`). */
export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  traceId: string;
  errors?: Record<string, string[]>;
  checks?: Record<string, 'up' | 'down'>;
}

const SCHEMA_ROOT = 'urn:eventflow:openapi';
/** A W3C trace id as the contract sends it in X-Trace-Id: 32 lowercase hex digits. */
export const TRACE_ID = /^[0-9a-f]{32}$/;
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

const document = JSON.parse(
  readFileSync(join(projectRoot(), 'openapi.json'), 'utf8'),
) as JsonObject;
const ajv = createAjv();
const operations = indexOperations();
const validators = new Map<string, ValidateFunction>();

/**
 * Fails unless `response` is one the contract declares for `operationId`: its status has a
 * response object (or `default`), required headers are present and valid, the content type
 * is the declared one, and the body validates against the declared schema. 204 and 304 (and
 * any response declaring no content) must have no body.
 */
export function assertMatchesContract(operationId: string, response: TestResponse): void {
  const where = `${operationId} ${response.status}`;
  const responses = asObject(operations.get(operationId)?.['responses']);
  if (responses === undefined) fail(`openapi.json has no operation ${operationId}`);

  const declared = responses[String(response.status)] ?? responses['default'];
  if (declared === undefined) {
    fail(`${where}: openapi.json declares no such response\nbody: ${clip(response.text)}`);
  }
  const responseObject = deref(declared);

  checkHeaders(where, responseObject, response);

  const content = asObject(responseObject['content']);
  if (response.status === 204 || response.status === 304 || content === undefined) {
    assert.is(response.text, '', `${where}: the response must have no body`);
    return;
  }

  const [mediaType, media] = Object.entries(content)[0] ?? [];
  assert.is(mediaTypeOf(response), mediaType, `${where}: content type`);
  const schema = asObject(asObject(media)?.['schema']);
  if (schema === undefined) return;

  const validate = validatorFor(`${operationId} ${response.status} body`, schema);
  if (!validate(response.body)) {
    fail(
      `${where}: body does not match the contract\n${describe(validate.errors)}\nbody: ${clip(response.text)}`,
    );
  }
}

/**
 * The operationId whose path template matches `method` and `path` the way the router does:
 * case-insensitively, `{name}` taking one segment, static segments winning over templates.
 * Undefined when no operation matches (unknown routes, Swagger UI's assets).
 */
export function operationIdFor(method: string, path: string): string | undefined {
  const segments = (path.split('?')[0] ?? '').toLowerCase().split('/');
  let best: { id: string; staticSegments: number } | undefined;
  for (const [template, item] of Object.entries(asObject(document['paths']) ?? {})) {
    const operation = asObject(asObject(item)?.[method.toLowerCase()]);
    const id = operation?.['operationId'];
    if (typeof id !== 'string') continue;

    const parts = template.toLowerCase().split('/');
    if (parts.length !== segments.length) continue;
    let staticSegments = 0;
    const matches = parts.every((part, index) => {
      if (part.startsWith('{')) return (segments[index] ?? '') !== '';
      staticSegments++;
      return part === segments[index];
    });
    if (matches && (best === undefined || staticSegments > best.staticSegments)) {
      best = { id, staticSegments };
    }
  }
  return best?.id;
}

/**
 * Fails unless `response` is the problem document of `code` with `status`: problem+json,
 * `type` derived from the code, the catalogue's title, a detail, and a 32-hex trace id equal
 * to `X-Trace-Id`. Returns the body for further checks (`errors`).
 */
export function assertProblem(
  response: TestResponse,
  status: number,
  code: ErrorCode,
): ProblemBody {
  assert.is(response.status, status, `status (body: ${clip(response.text)})`);
  assert.is(mediaTypeOf(response), 'application/problem+json', 'problem content type');

  const validate = validatorFor('Problem', { $ref: '#/components/schemas/Problem' });
  if (!validate(response.body)) {
    fail(
      `problem body does not match the Problem schema\n${describe(validate.errors)}\nbody: ${clip(response.text)}`,
    );
  }

  const body = response.body as ProblemBody;
  assert.is(body.code, code, `problem code (detail: ${body.detail})`);
  assert.is(body.status, status, 'problem status');
  assert.is(ERROR_CATALOGUE[code].status, status, `${code} has status ${status} in the catalogue`);
  assert.is(body.type, `urn:eventflow:problem:${code.toLowerCase().replaceAll('_', '-')}`);
  assert.is(body.title, ERROR_CATALOGUE[code].title, 'problem title');
  assert.ok(body.detail.trim().length > 0, 'problem detail is not empty');
  assert.match(body.traceId, TRACE_ID, 'traceId is 32 lowercase hex digits');
  assert.is(response.headers.get('x-trace-id'), body.traceId, 'traceId equals X-Trace-Id');
  return body;
}

/** The media type of the response without parameters, lower-cased ('' when absent). */
export function mediaTypeOf(response: TestResponse): string {
  const header = response.headers.get('content-type') ?? '';
  return (header.split(';')[0] ?? '').trim().toLowerCase();
}

function checkHeaders(where: string, responseObject: JsonObject, response: TestResponse): void {
  const headers = asObject(responseObject['headers']) ?? {};
  for (const [name, declared] of Object.entries(headers)) {
    const header = deref(declared);
    const value = response.headers.get(name);
    if (value === null) {
      if (header['required'] === true) fail(`${where}: required header ${name} is missing`);
      continue;
    }

    const schema = asObject(header['schema']);
    if (schema === undefined) continue;
    const contentSchema = asObject(schema['contentSchema']);
    const [label, candidate, checked] =
      contentSchema !== undefined
        ? [`${name} content`, parseJson(where, name, value), contentSchema]
        : schema['type'] === 'integer'
          ? [name, Number(value), schema]
          : [name, value, schema];

    const validate = validatorFor(`${where} header ${label}`, checked);
    if (!validate(candidate)) {
      fail(`${where}: header ${name} is not valid\n${describe(validate.errors)}\nvalue: ${value}`);
    }
  }
}

function parseJson(where: string, name: string, value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return fail(`${where}: header ${name} is not JSON: ${value}`);
  }
}

function validatorFor(key: string, schema: JsonObject): ValidateFunction {
  let validate = validators.get(key);
  if (validate === undefined) {
    validate = ajv.compile(rewriteRefs(schema) as JsonObject);
    validators.set(key, validate);
  }
  return validate;
}

function createAjv(): Ajv2020 {
  const instance = new Ajv2020({ strict: false, allErrors: true });
  addFormats(instance, ['date-time', 'email', 'uri']);
  // Input-only format; responses use date-time. Known here so schemas compile.
  instance.addFormat('event-date', true);
  const components = asObject(document['components']) ?? {};
  instance.addSchema({ $id: SCHEMA_ROOT, $defs: rewriteRefs(components['schemas'] ?? {}) });
  return instance;
}

function indexOperations(): Map<string, JsonObject> {
  const index = new Map<string, JsonObject>();
  for (const item of Object.values(asObject(document['paths']) ?? {})) {
    for (const method of HTTP_METHODS) {
      const operation = asObject(asObject(item)?.[method]);
      const id = operation?.['operationId'];
      if (operation !== undefined && typeof id === 'string') index.set(id, operation);
    }
  }
  return index;
}

/** OpenAPI refs (`#/components/schemas/X`) point at `$defs` of the one schema resource. */
function rewriteRefs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteRefs);
  if (node === null || typeof node !== 'object') return node;

  const copy: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    copy[key] =
      key === '$ref' && typeof value === 'string'
        ? value.replace('#/components/schemas/', `${SCHEMA_ROOT}#/$defs/`)
        : rewriteRefs(value);
  }
  return copy;
}

/** Follows a response or header `$ref` (`#/components/responses/NotFound`) to its object. */
function deref(node: unknown): JsonObject {
  let current = asObject(node);
  for (let hops = 0; current !== undefined && typeof current['$ref'] === 'string'; hops++) {
    if (hops > 10) break;
    current = asObject(resolvePointer(current['$ref']));
  }
  return current ?? fail(`openapi.json: unresolvable reference ${JSON.stringify(node)}`);
}

function resolvePointer(ref: string): unknown {
  let node: unknown = document;
  for (const part of ref.replace(/^#\//, '').split('/')) {
    node = asObject(node)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
  }
  return node;
}

function asObject(value: unknown): JsonObject | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as JsonObject)
    : undefined;
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? [])
    .map(
      (error) =>
        `  - ${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`,
    )
    .join('\n');
}

function clip(text: string): string {
  return text.length > 2000 ? `${text.slice(0, 2000)}... (${text.length} characters)` : text;
}

function fail(message: string): never {
  assert.unreachable(message);
  throw new Error(message);
}
