/**
 * Static checks of openapi.json: the operations, references, security, responses and
 * schemas the API v1 contract promises. Responses of the running server are checked against
 * this document elsewhere; this file only makes sure the document itself is sound.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { ERROR_CATALOGUE } from '../../src/domain/errors.js';
import { listRulesOf } from '../../src/server/list-rules.js';

// ajv-formats is CommonJS: under NodeNext its default import is `module.exports`, which
// also carries the plugin as `.default`. (ajv's default import is not constructable under
// NodeNext typing, hence the named `Ajv2020` import, as in src/server/validation.ts.)
const addFormats = addFormatsModule.default;

type JsonObject = Record<string, unknown>;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** operationId -> [method, path] as in the contract's Routes table. */
const ROUTES: Record<string, readonly [string, string]> = {
  'auth.register': ['post', '/authentication/register'],
  'auth.login': ['post', '/authentication/login'],
  'auth.changePassword': ['put', '/authentication/change-password'],
  'auth.data': ['get', '/authentication/data'],
  'event.create': ['post', '/event'],
  'event.update': ['put', '/event/update/{id}'],
  'event.delete': ['delete', '/event/delete/{id}'],
  'event.get': ['get', '/event/{id}'],
  'event.list': ['get', '/event/all'],
  'organizer.create': ['post', '/organizer'],
  'organizer.assignEvent': ['post', '/organizer/{organizerId}/event/{eventId}'],
  'organizer.update': ['put', '/organizer/update/{id}'],
  'organizer.delete': ['delete', '/organizer/delete/{id}'],
  'organizer.get': ['get', '/organizer/{id}'],
  'organizer.list': ['get', '/organizer/all'],
  'participant.create': ['post', '/participant'],
  'participant.register': ['post', '/participant/{eventId}/participant/{participantId}'],
  'participant.update': ['put', '/participant/update/{id}'],
  'participant.delete': ['delete', '/participant/delete/{id}'],
  'participant.get': ['get', '/participant/{id}'],
  'participant.listByEvent': ['get', '/participant/{eventId}/all'],
  'speaker.create': ['post', '/speaker'],
  'speaker.linkEvent': ['post', '/speaker/{speakerId}/event/{eventId}'],
  'speaker.update': ['put', '/speaker/update/{id}'],
  'speaker.delete': ['delete', '/speaker/delete/{id}'],
  'speaker.get': ['get', '/speaker/{id}'],
  'speaker.list': ['get', '/speaker/all'],
  'statistics.get': ['get', '/dashboard/statistics/all'],
  'health.live': ['get', '/health/live'],
  'health.ready': ['get', '/health/ready'],
  'openapi.get': ['get', '/openapi.json'],
  'swagger.ui': ['get', '/swagger'],
  'metrics.get': ['get', '/metrics'],
};

const PROTECTED = new Set([
  'auth.changePassword',
  'auth.data',
  'event.create',
  'event.update',
  'event.delete',
  'organizer.create',
  'organizer.assignEvent',
  'organizer.update',
  'organizer.delete',
  'participant.create',
  'participant.register',
  'participant.update',
  'participant.delete',
  'speaker.create',
  'speaker.linkEvent',
  'speaker.update',
  'speaker.delete',
]);

const CACHED = new Set([
  'event.get',
  'organizer.get',
  'speaker.get',
  'participant.get',
  'statistics.get',
]);

/** List operation -> sortBy values, default first. */
const LISTS: Record<string, readonly string[]> = {
  'event.list': ['date', 'date_desc', 'title', 'title_desc'],
  'organizer.list': ['name', 'name_desc'],
  'speaker.list': ['name', 'name_desc'],
  'participant.listByEvent': ['name', 'name_desc'],
};

const CREATES = new Set([
  'event.create',
  'organizer.create',
  'participant.create',
  'speaker.create',
]);

const SCHEMA_NAMES = [
  'EventSummary',
  'OrganizerSummary',
  'SpeakerSummary',
  'ParticipantSummary',
  'Event',
  'Organizer',
  'Speaker',
  'Participant',
  'User',
  'Statistics',
  'LoginResult',
  'EventInput',
  'OrganizerInput',
  'SpeakerInput',
  'ParticipantInput',
  'RegisterInput',
  'LoginInput',
  'ChangePasswordInput',
  'Problem',
  'HealthStatus',
];

const RESPONSE_NAMES = [
  'BadRequest',
  'Unauthorized',
  'NotFound',
  'Conflict',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'UnprocessableEntity',
  'TooManyRequests',
  'InternalError',
  'ServiceUnavailable',
];

// ------------------------------------------------------------------------------ helpers

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw new TypeError(`${where}: expected an object`);
  return value;
}

function expectArray(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${where}: expected an array`);
  return value;
}

function loadDocument(): JsonObject {
  const path = resolve(process.cwd(), 'openapi.json');
  return expectObject(JSON.parse(readFileSync(path, 'utf8')), 'openapi.json');
}

const doc = loadDocument();
const components = expectObject(doc['components'], 'components');
const componentSchemas = expectObject(components['schemas'], 'components.schemas');

/** Resolves a local JSON pointer (`#/components/...`) against the document. */
function resolvePointer(ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = doc;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      node = node[Number(key)];
    } else if (isObject(node) && Object.hasOwn(node, key)) {
      node = node[key];
    } else {
      return undefined;
    }
  }
  return node;
}

/** Follows `$ref` until a concrete object is reached. */
function deref(value: unknown, where: string): JsonObject {
  let node = expectObject(value, where);
  for (let hops = 0; typeof node['$ref'] === 'string'; hops += 1) {
    if (hops > 10) throw new Error(`${where}: $ref chain too long`);
    const target = resolvePointer(node['$ref']);
    node = expectObject(target, `${where} -> ${node['$ref']}`);
  }
  return node;
}

function refName(value: unknown): string | undefined {
  if (!isObject(value) || typeof value['$ref'] !== 'string') return undefined;
  return value['$ref'].split('/').at(-1);
}

/** Calls `visit` for every value in the tree with its JSON path. */
function walk(value: unknown, path: string, visit: (node: unknown, path: string) => void): void {
  visit(value, path);
  if (Array.isArray(value)) {
    value.forEach((item, index) => walk(item, `${path}/${index}`, visit));
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) walk(child, `${path}/${key}`, visit);
  }
}

interface Operation {
  id: string;
  method: string;
  path: string;
  node: JsonObject;
}

function collectOperations(): Operation[] {
  const operations: Operation[] = [];
  const paths = expectObject(doc['paths'], 'paths');
  for (const [path, item] of Object.entries(paths)) {
    const pathItem = expectObject(item, path);
    for (const method of HTTP_METHODS) {
      if (pathItem[method] === undefined) continue;
      const node = expectObject(pathItem[method], `${method} ${path}`);
      const id = node['operationId'];
      if (typeof id !== 'string') throw new Error(`${method} ${path}: no operationId`);
      operations.push({ id, method, path, node });
    }
  }
  return operations;
}

const operations = collectOperations();

function operation(id: string): Operation {
  const found = operations.find((candidate) => candidate.id === id);
  if (found === undefined) throw new Error(`operation ${id} is missing`);
  return found;
}

function responsesOf(op: Operation): JsonObject {
  return expectObject(op.node['responses'], `${op.id}.responses`);
}

function parametersOf(op: Operation): JsonObject[] {
  const list = op.node['parameters'] === undefined ? [] : op.node['parameters'];
  return expectArray(list, `${op.id}.parameters`).map((p, i) =>
    deref(p, `${op.id}.parameters[${i}]`),
  );
}

function pathParameterNames(path: string): string[] {
  return [...path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
}

function headersOf(response: JsonObject): JsonObject {
  return response['headers'] === undefined ? {} : expectObject(response['headers'], 'headers');
}

// Ajv sees the component schemas as `$defs` of one schema resource; refs are rewritten.
const SCHEMA_ROOT = 'urn:eventflow:openapi';

function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (!isObject(value)) return value;
  const copy: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    copy[key] =
      key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')
        ? `${SCHEMA_ROOT}#/$defs/${child.slice('#/components/schemas/'.length)}`
        : rewriteRefs(child);
  }
  return copy;
}

function createAjv(): InstanceType<typeof Ajv2020> {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  // The formats the server registers (src/server/validation.ts); `event-date` is checked by
  // the server's own parser, so here it only has to be known.
  addFormats(ajv, ['date-time', 'email', 'uri']);
  ajv.addFormat('event-date', true);
  ajv.addSchema({ $id: SCHEMA_ROOT, $defs: rewriteRefs(componentSchemas) });
  return ajv;
}

// ------------------------------------------------------------------------------ Document

const Document = suite('openapi.json: document');

Document('is OpenAPI 3.1.0 with info, servers and tags', () => {
  assert.is(doc['openapi'], '3.1.0');
  const info = expectObject(doc['info'], 'info');
  assert.is(info['title'], 'EventFlow API');
  assert.is(info['version'], '1.0.0');
  assert.type(info['description'], 'string');
  assert.equal(doc['servers'], [
    { url: 'http://localhost:8079', description: 'Local EventFlow server.' },
  ]);
  const tags = expectArray(doc['tags'], 'tags').map((tag) => expectObject(tag, 'tag')['name']);
  assert.equal(tags, [
    'Authentication',
    'Event',
    'Organizer',
    'Participant',
    'Speaker',
    'Dashboard',
    'Health',
  ]);
  for (const op of operations) {
    const opTags = expectArray(op.node['tags'], `${op.id}.tags`);
    assert.is(opTags.length, 1, `${op.id} has one tag`);
    assert.ok(tags.includes(opTags[0]), `${op.id} uses a declared tag`);
  }
});

Document('defines every required component', () => {
  for (const name of SCHEMA_NAMES) {
    assert.ok(isObject(componentSchemas[name]), `schema ${name}`);
  }
  const responses = expectObject(components['responses'], 'components.responses');
  for (const name of RESPONSE_NAMES) {
    assert.ok(isObject(responses[name]), `response ${name}`);
  }
  const headers = expectObject(components['headers'], 'components.headers');
  for (const name of ['X-Trace-Id', 'ETag', 'X-Cache', 'Location', 'WWW-Authenticate']) {
    assert.ok(isObject(headers[name]), `header ${name}`);
  }
  assert.equal(expectObject(headers['X-Cache'], 'X-Cache')['schema'], {
    type: 'string',
    enum: ['hit', 'miss'],
  });
});

Document('every $ref resolves', () => {
  let count = 0;
  walk(doc, '#', (node, path) => {
    if (!isObject(node) || node['$ref'] === undefined) return;
    const ref = node['$ref'];
    if (typeof ref !== 'string') throw new TypeError(`${path}.$ref: expected a string`);
    assert.ok(ref.startsWith('#/'), `${path}: only local refs (${ref})`);
    assert.ok(resolvePointer(ref) !== undefined, `${path}: ${ref} resolves`);
    count += 1;
  });
  assert.ok(count > 100, 'the document uses shared components');
});

Document('has no OpenAPI 3.0 keywords inside schemas', () => {
  walk(doc, '#', (node, path) => {
    if (!isObject(node)) return;
    assert.not.ok('nullable' in node, `${path}: nullable is not 3.1`);
    if (path.includes('/schema') || path.startsWith('#/components/schemas')) {
      assert.not.ok('example' in node && 'type' in node, `${path}: use examples in schemas`);
    }
  });
});

// ------------------------------------------------------------------------------ Operations

const Operations = suite('openapi.json: operations');

Operations('every operationId is present exactly once, on its contract route', () => {
  const ids = operations.map((op) => op.id);
  assert.equal([...ids].sort(), Object.keys(ROUTES).sort());
  assert.is(new Set(ids).size, ids.length, 'operationIds are unique');
  for (const [id, [method, path]] of Object.entries(ROUTES)) {
    const op = operation(id);
    assert.is(op.method, method, `${id} method`);
    assert.is(op.path, path, `${id} path`);
  }
});

Operations('path parameters are positive 32-bit integers', () => {
  for (const op of operations) {
    const names = pathParameterNames(op.path);
    const declared = parametersOf(op).filter((p) => p['in'] === 'path');
    assert.equal(declared.map((p) => p['name']).sort(), [...names].sort(), `${op.id} params`);
    for (const param of declared) {
      assert.is(param['required'], true, `${op.id} ${String(param['name'])} required`);
      const schema = expectObject(param['schema'], `${op.id} path schema`);
      assert.is(schema['type'], 'integer');
      assert.is(schema['minimum'], 1);
      assert.is(schema['maximum'], 2147483647);
    }
  }
});

Operations('list operations take pageNumber, pageSize, sortBy and filter', () => {
  for (const [id, sorts] of Object.entries(LISTS)) {
    const op = operation(id);
    const query = new Map(
      parametersOf(op)
        .filter((p) => p['in'] === 'query')
        .map((p) => [String(p['name']), expectObject(p['schema'], `${id} query schema`)]),
    );
    assert.equal([...query.keys()].sort(), ['filter', 'pageNumber', 'pageSize', 'sortBy']);
    assert.equal(query.get('pageNumber'), {
      type: 'integer',
      minimum: 1,
      maximum: 1000000,
      default: 1,
    });
    assert.equal(query.get('pageSize'), { type: 'integer', minimum: 1, default: 10 });
    assert.equal(query.get('sortBy'), { type: 'string', enum: sorts, default: sorts[0] });
    assert.equal(query.get('filter'), { type: 'string', maxLength: 200 });

    const ok = deref(responsesOf(op)['200'], `${id} 200`);
    const headers = headersOf(ok);
    assert.is(refName(headers['X-Pagination']), 'X-Pagination', `${id} X-Pagination`);
    assert.is(refName(headers['Link']), 'Link', `${id} Link`);
    const content = expectObject(ok['content'], `${id} 200 content`);
    const schema = expectObject(
      expectObject(content['application/json'], `${id} json`)['schema'],
      `${id} schema`,
    );
    assert.is(schema['type'], 'array', `${id} answers an array`);
    assert.is(responsesOf(op)['400'] !== undefined, true, `${id} 400 on a bad query`);
  }
});

Operations('request bodies are JSON objects without additional properties', () => {
  let count = 0;
  for (const op of operations) {
    if (op.node['requestBody'] === undefined) continue;
    const body = deref(op.node['requestBody'], `${op.id}.requestBody`);
    assert.is(body['required'], true, `${op.id} body required`);
    const content = expectObject(body['content'], `${op.id} body content`);
    assert.equal(Object.keys(content), ['application/json'], `${op.id} body media type`);
    const media = expectObject(content['application/json'], `${op.id} body media`);
    const schema = deref(media['schema'], `${op.id} body schema`);
    assert.is(schema['type'], 'object', `${op.id} body is an object`);
    assert.is(schema['additionalProperties'], false, `${op.id} additionalProperties`);
    count += 1;
  }
  assert.is(count, 11, 'register, login, change-password, 4 creates and 4 updates');
  for (const name of SCHEMA_NAMES.filter((n) => n.endsWith('Input'))) {
    const schema = expectObject(componentSchemas[name], name);
    assert.is(schema['additionalProperties'], false, `${name} additionalProperties`);
    assert.ok(expectArray(schema['examples'], `${name}.examples`).length > 0, `${name} examples`);
  }
});

Operations('bearer security is exactly on the protected operations', () => {
  assert.is(doc['security'], undefined, 'no top-level security');
  const schemes = expectObject(components['securitySchemes'], 'securitySchemes');
  assert.equal(schemes['bearerAuth'], {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: expectObject(schemes['bearerAuth'], 'bearerAuth')['description'],
  });
  for (const op of operations) {
    if (PROTECTED.has(op.id)) {
      assert.equal(op.node['security'], [{ bearerAuth: [] }], `${op.id} is protected`);
    } else {
      assert.is(op.node['security'], undefined, `${op.id} is anonymous`);
    }
  }
  for (const op of operations.filter((o) => o.method !== 'get')) {
    const anonymous = ['auth.register', 'auth.login'].includes(op.id);
    assert.is(PROTECTED.has(op.id), !anonymous, `${op.id}: writes need a token`);
  }
});

// ------------------------------------------------------------------------------ Responses

const Responses = suite('openapi.json: responses');

Responses('every operation documents the errors it can return', () => {
  for (const op of operations) {
    const responses = responsesOf(op);
    const expectRef = (status: string, name: string): void => {
      assert.is(refName(responses[status]), name, `${op.id} ${status} -> ${name}`);
    };
    expectRef('500', 'InternalError');
    expectRef('503', 'ServiceUnavailable');
    if (op.node['requestBody'] !== undefined) {
      expectRef('400', 'BadRequest');
      expectRef('408', 'RequestTimeout');
      expectRef('413', 'PayloadTooLarge');
      expectRef('415', 'UnsupportedMediaType');
    }
    if (PROTECTED.has(op.id)) expectRef('401', 'Unauthorized');
    if (pathParameterNames(op.path).length > 0) {
      expectRef('400', 'BadRequest');
      expectRef('404', 'NotFound');
    }
  }
  assert.is(refName(responsesOf(operation('auth.register'))['409']), 'Conflict');
  assert.is(refName(responsesOf(operation('participant.register'))['409']), 'Conflict');
  assert.is(refName(responsesOf(operation('event.update'))['409']), 'Conflict');
  assert.is(refName(responsesOf(operation('event.create'))['422']), 'UnprocessableEntity');
  assert.is(refName(responsesOf(operation('event.update'))['422']), 'UnprocessableEntity');
  assert.ok(responsesOf(operation('auth.login'))['401'] !== undefined, 'login 401');
});

Responses('problem responses use application/problem+json and carry their headers', () => {
  const responses = expectObject(components['responses'], 'components.responses');
  for (const [name, value] of Object.entries(responses)) {
    const response = expectObject(value, name);
    const headers = headersOf(response);
    assert.is(refName(headers['X-Trace-Id']), 'X-Trace-Id', `${name} X-Trace-Id`);
    if (name === 'NotModified') continue;
    const content = expectObject(response['content'], `${name} content`);
    assert.equal(Object.keys(content), ['application/problem+json'], `${name} media type`);
    const media = expectObject(content['application/problem+json'], name);
    assert.is(refName(media['schema']), 'Problem', `${name} schema`);
  }
  assert.is(
    refName(headersOf(expectObject(responses['Unauthorized'], 'u'))['WWW-Authenticate']),
    'WWW-Authenticate',
  );
  assert.is(
    refName(headersOf(expectObject(responses['TooManyRequests'], 't'))['Retry-After']),
    'Retry-After',
  );
  assert.is(
    refName(headersOf(expectObject(responses['ServiceUnavailable'], 's'))['Retry-After']),
    'Retry-After',
  );
});

Responses('success responses carry X-Trace-Id; creates carry Location', () => {
  for (const op of operations) {
    for (const [status, value] of Object.entries(responsesOf(op))) {
      if (!status.startsWith('2')) continue;
      const response = deref(value, `${op.id} ${status}`);
      const headers = headersOf(response);
      assert.is(refName(headers['X-Trace-Id']), 'X-Trace-Id', `${op.id} ${status} X-Trace-Id`);
      if (status === '201') {
        assert.ok(CREATES.has(op.id) || op.id === 'auth.register', `${op.id} 201`);
        if (CREATES.has(op.id)) {
          assert.is(refName(headers['Location']), 'Location', `${op.id} Location`);
        }
      }
      if (status === '204') assert.is(response['content'], undefined, `${op.id} 204 empty`);
    }
  }
  for (const id of CREATES) assert.ok(responsesOf(operation(id))['201'], `${id} answers 201`);
});

Responses('cached reads answer ETag, X-Cache and 304 on If-None-Match', () => {
  for (const op of operations) {
    const responses = responsesOf(op);
    const ok = deref(responses['200'] ?? responses['201'] ?? responses['204'], op.id);
    const headers = headersOf(ok);
    const inm = parametersOf(op).some((p) => p['in'] === 'header' && p['name'] === 'If-None-Match');
    if (CACHED.has(op.id)) {
      assert.is(refName(headers['ETag']), 'ETag', `${op.id} ETag`);
      assert.is(refName(headers['X-Cache']), 'X-Cache', `${op.id} X-Cache`);
      assert.is(refName(responses['304']), 'NotModified', `${op.id} 304`);
      assert.ok(inm, `${op.id} If-None-Match`);
    } else if (op.id === 'openapi.get' || op.id === 'swagger.ui') {
      // Static assets: ETag and 304, but no application cache.
      assert.is(refName(headers['ETag']), 'ETag', `${op.id} ETag`);
      assert.is(headers['X-Cache'], undefined, `${op.id} X-Cache`);
      assert.is(refName(responses['304']), 'NotModified', `${op.id} 304`);
      assert.ok(inm, `${op.id} If-None-Match`);
    } else {
      assert.is(headers['ETag'], undefined, `${op.id} is not cached`);
      assert.is(responses['304'], undefined, `${op.id} has no 304`);
      assert.not.ok(inm, `${op.id} takes no If-None-Match`);
    }
  }
});

// ------------------------------------------------------------------------------ Schemas

const Schemas = suite('openapi.json: schemas');

Schemas('the component schemas are valid 2020-12 and compile with strict Ajv', () => {
  const ajv = createAjv();
  for (const name of Object.keys(componentSchemas)) {
    const validate = ajv.getSchema(`${SCHEMA_ROOT}#/$defs/${name}`);
    assert.type(validate, 'function', `${name} compiles`);
  }
});

Schemas('every inline schema compiles with strict Ajv', () => {
  const ajv = createAjv();
  let count = 0;
  walk(doc, '#', (node, path) => {
    if (path.startsWith('#/components/schemas')) return;
    if (!isObject(node) || !isObject(node['schema'])) return;
    try {
      ajv.compile(rewriteRefs(node['schema']) as JsonObject);
    } catch (error) {
      assert.unreachable(`${path}/schema: ${(error as Error).message}`);
    }
    count += 1;
  });
  assert.ok(count > 50, `compiled ${count} schemas`);
});

Schemas('response schemas list every property as required and forbid extra ones', () => {
  for (const name of SCHEMA_NAMES) {
    const schema = expectObject(componentSchemas[name], name);
    assert.is(schema['type'], 'object', `${name} is an object`);
    assert.is(schema['additionalProperties'], false, `${name} additionalProperties`);
    if (name.endsWith('Input') || name === 'Problem' || name === 'HealthStatus') continue;
    const properties = Object.keys(expectObject(schema['properties'], `${name}.properties`));
    assert.equal(schema['required'], properties, `${name} required`);
  }
});

Schemas('examples validate against their schemas', () => {
  const ajv = createAjv();
  const validator = (name: string): ValidateFunction => {
    const validate = ajv.getSchema(`${SCHEMA_ROOT}#/$defs/${name}`);
    if (validate === undefined) throw new Error(`no schema ${name}`);
    return validate;
  };
  for (const [name, value] of Object.entries(componentSchemas)) {
    const examples = expectObject(value, name)['examples'];
    if (examples === undefined) continue;
    for (const example of expectArray(examples, `${name}.examples`)) {
      const validate = validator(name);
      assert.ok(validate(example), `${name} example: ${ajv.errorsText(validate.errors)}`);
    }
  }
  let mediaExamples = 0;
  walk(doc, '#', (node, path) => {
    if (!isObject(node) || !isObject(node['schema']) || !isObject(node['examples'])) return;
    const validate = ajv.compile(rewriteRefs(node['schema']) as JsonObject);
    for (const [exampleName, example] of Object.entries(node['examples'])) {
      const value = expectObject(example, exampleName)['value'];
      assert.ok(validate(value), `${path} ${exampleName}: ${ajv.errorsText(validate.errors)}`);
      mediaExamples += 1;
    }
  });
  assert.ok(mediaExamples >= 10, 'problem responses have examples');
  const pagination = expectObject(
    expectObject(components['headers'], 'headers')['X-Pagination'],
    'X-Pagination',
  );
  const paginationExample: unknown = JSON.parse(String(pagination['example']));
  assert.ok(validator('PaginationMetadata')(paginationExample), 'X-Pagination example');
});

Schemas('input schemas reject what the contract rejects', () => {
  const ajv = createAjv();
  const valid = (name: string, value: unknown): boolean => {
    const validate = ajv.getSchema(`${SCHEMA_ROOT}#/$defs/${name}`);
    if (validate === undefined) throw new Error(`no schema ${name}`);
    return validate(value) === true;
  };
  const event = {
    title: 'TypeScript Summit 2027',
    date: '14/03/2027',
    location: 'Lisbon',
    organizerId: 1,
  };
  assert.ok(valid('EventInput', event));
  assert.ok(valid('EventInput', { ...event, description: null, category: null, capacity: null }));
  assert.not.ok(valid('EventInput', { ...event, organizer: 'x' }), 'unknown property');
  assert.not.ok(valid('EventInput', { ...event, title: '   ' }), 'blank title');
  assert.not.ok(valid('EventInput', { ...event, title: 'x'.repeat(201) }), 'long title');
  assert.not.ok(valid('EventInput', { ...event, capacity: 0 }), 'capacity 0');
  assert.not.ok(valid('EventInput', { ...event, organizerId: 2147483648 }), 'big id');
  assert.not.ok(valid('EventInput', { title: 'x', date: '2027-03-14', location: 'y' }));
  const organizer = { name: 'Tech Events', email: 'a@b' };
  assert.ok(valid('OrganizerInput', organizer));
  for (const email of ['@b', 'a@', 'a@b@c', 'a b@c', `${'a'.repeat(149)}@b`]) {
    assert.not.ok(valid('OrganizerInput', { ...organizer, email }), `email ${email}`);
  }
  assert.not.ok(valid('SpeakerInput', organizer), 'speaker needs a biography');
  assert.not.ok(valid('RegisterInput', { username: 'u', email: 'a@b', password: 'short' }));
  assert.ok(valid('LoginInput', { email: 'not an address', password: 'x' }), 'uniform 401');
  assert.not.ok(
    valid('ChangePasswordInput', { currentPassword: 'x', newPassword: 'y'.repeat(129) }),
  );
});

Schemas('response schemas describe the wire shapes exactly', () => {
  const ajv = createAjv();
  const valid = (name: string, value: unknown): boolean => {
    const validate = ajv.getSchema(`${SCHEMA_ROOT}#/$defs/${name}`);
    if (validate === undefined) throw new Error(`no schema ${name}`);
    return validate(value) === true;
  };
  const event = {
    id: 42,
    title: 'TypeScript Summit 2027',
    description: null,
    date: '2027-03-14T18:30:00.000Z',
    location: 'Lisbon',
    category: null,
    capacity: 2,
    organizer: { id: 7, name: 'Tech Events', email: 'a@b.example' },
    speakers: [{ id: 3, name: 'Ana', email: 'ana@example.com', expertise: null }],
    participants: [{ id: 5, name: 'João', email: 'joao@example.com' }],
  };
  assert.ok(valid('Event', event));
  assert.ok(valid('Event', { ...event, organizer: null }));
  assert.not.ok(valid('Event', { ...event, organizerId: 7 }), 'extra field');
  assert.not.ok(valid('Event', { ...event, date: '14/03/2027' }), 'date-time only');
  assert.not.ok(valid('Event', { ...event, speakers: [{ id: 3, name: 'Ana', email: 'a@b' }] }));
  assert.ok(
    valid('Statistics', { eventCount: 1, organizerCount: 1, speakerCount: 0, participantCount: 0 }),
  );
  assert.ok(valid('HealthStatus', { status: 'ok' }));
  assert.ok(valid('HealthStatus', { status: 'ok', checks: { database: 'up' } }));
  const problem = {
    type: 'urn:eventflow:problem:service-unavailable',
    title: 'The service is temporarily unavailable',
    status: 503,
    detail: 'The database is not available.',
    code: 'SERVICE_UNAVAILABLE',
    traceId: '0af7651916cd43dd8448eb211c80319c',
  };
  assert.ok(valid('Problem', problem));
  assert.ok(valid('Problem', { ...problem, checks: { database: 'down' } }), 'checks member');
  assert.ok(valid('Problem', { ...problem, errors: { 'query.pageSize': ['must be >= 1'] } }));
  assert.not.ok(valid('Problem', { ...problem, code: 'SQLITE_BUSY' }), 'unknown code');
  assert.not.ok(valid('Problem', { ...problem, traceId: 'abc' }), 'bad trace id');
  assert.not.ok(valid('Problem', { ...problem, stack: 'Error: ...' }), 'no internals');
});

Schemas('the problem code enum is the error catalogue', () => {
  const problem = expectObject(componentSchemas['Problem'], 'Problem');
  const properties = expectObject(problem['properties'], 'Problem.properties');
  const code = expectObject(properties['code'], 'Problem.code');
  assert.equal(code['enum'], Object.keys(ERROR_CATALOGUE));
});

Operations('the list rules the server applies are read from its parameters', () => {
  const rules = listRulesOf(doc as { components: Record<string, unknown> });

  assert.equal(rules.pageNumber, { minimum: 1, maximum: 1_000_000, default: 1 });
  assert.equal(rules.pageSize, {
    minimum: 1,
    maximum: Number.MAX_SAFE_INTEGER,
    default: 10,
    clampedTo: 50,
  });
  assert.equal(rules.sorts.event, {
    values: ['date', 'date_desc', 'title', 'title_desc'],
    default: 'date',
  });
  assert.equal(rules.sorts.named, { values: ['name', 'name_desc'], default: 'name' });
  const parameters = expectObject(components['parameters'], 'components.parameters');
  const nameFilter = expectObject(expectObject(parameters['NameFilter'], 'n')['schema'], 's');
  assert.is(rules.filterMaxLength, 200);
  assert.is(nameFilter['maxLength'], rules.filterMaxLength, 'both filters share one bound');
});

Document.run();
Operations.run();
Responses.run();
Schemas.run();
