/**
 * Schema-driven fuzz of every operation in openapi.json: near-valid bodies with fields
 * replaced by hostile values, arbitrary JSON, odd path ids and list queries. Every answer
 * must be a declared response of the operation (status, headers, body schema), never a 5xx.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { projectRoot } from '../../src/paths.js';
import { assertMatchesContract } from '../support/openapi-responses.js';
import { dialectSuites, futureDate, type ApiFixture } from './api-fixture.js';

/** Fixed so a failure can be replayed; fast-check prints the counterexample. */
const SEED = 20_270_314;

interface Operation {
  id: string;
  method: string;
  path: string;
  isProtected: boolean;
  bodySchema: string | null;
  isList: boolean;
}

const HOSTILE_STRINGS = [
  '',
  ' ',
  '\t\n',
  '\u0000',
  '\uD800',
  '\uFEFF',
  '🎉'.repeat(300),
  'x'.repeat(9000),
  "'; DROP TABLE events; --",
  '%_[\\',
  '__proto__',
  'constructor',
  'null',
  '2001-01-01',
  '31/02/2090',
  '2090-01-01T00:00:00+99:99',
  '9999-12-31T23:59:59Z',
  '0001-01-01',
  'a@b',
  '@',
  '<script>alert(1)</script>',
];

const HOSTILE_NUMBERS = [
  0,
  -1,
  -0,
  1.5,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 53,
  -(2 ** 53),
  1e308,
  Number.MIN_VALUE,
];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(...HOSTILE_STRINGS, ...HOSTILE_NUMBERS, null, true, false, [], {}),
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 5 })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.integer(), { maxKeys: 2 }),
);

const hostileId: fc.Arbitrary<string> = fc.oneof(
  fc.integer({ min: 1, max: 40 }).map(String),
  fc.integer({ min: -(2 ** 33), max: 2 ** 33 }).map(String),
  fc.constantFrom(
    '0',
    '-0',
    '00',
    '+1',
    '1.0',
    '1e2',
    '0x1f',
    '2147483648',
    '99999999999999999999',
    '%20',
    'null',
    '١٢',
  ),
  fc.string({ minLength: 1, maxLength: 12 }).map(encodeURIComponent),
);

const hostileQuery: fc.Arbitrary<string> = fc
  .record(
    {
      pageNumber: fc.oneof(
        fc.integer({ min: -3, max: 2_000_000 }).map(String),
        fc.string({ maxLength: 6 }),
      ),
      pageSize: fc.oneof(
        fc.integer({ min: -3, max: 1000 }).map(String),
        fc.string({ maxLength: 6 }),
      ),
      sortBy: fc.oneof(
        fc.constantFrom('date', 'date_desc', 'title', 'title_desc', 'name', 'name_desc', 'id'),
        fc.string({ maxLength: 8 }),
      ),
      filter: fc.oneof(
        fc.constantFrom(...HOSTILE_STRINGS.filter((s) => s.length < 300)),
        fc.string({ maxLength: 20 }),
      ),
    },
    { requiredKeys: [] },
  )
  .map((query) => new URLSearchParams(query as Record<string, string>).toString());

function readOperations(): Operation[] {
  const document = JSON.parse(readFileSync(join(projectRoot(), 'openapi.json'), 'utf8')) as {
    paths: Record<
      string,
      Record<
        string,
        {
          operationId?: string;
          security?: unknown[];
          requestBody?: { content: Record<string, { schema: { $ref: string } }> };
          parameters?: { $ref?: string }[];
        }
      >
    >;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      if (operation.operationId === undefined) continue;
      const ref = operation.requestBody?.content['application/json']?.schema.$ref;
      operations.push({
        id: operation.operationId,
        method: method.toUpperCase(),
        path,
        isProtected: (operation.security?.length ?? 0) > 0,
        bodySchema: ref === undefined ? null : (ref.split('/').at(-1) ?? null),
        isList: (operation.parameters ?? []).some(
          (parameter) => parameter.$ref?.endsWith('/PageNumber') === true,
        ),
      });
    }
  }
  return operations;
}

/** Valid bodies per input schema; the fuzz replaces, drops and adds fields from here. */
function validBodies(organizerId: number): Record<string, Record<string, unknown>> {
  return {
    EventInput: {
      title: 'Fuzz',
      description: 'D',
      date: futureDate(9),
      location: 'L',
      category: 'C',
      capacity: 5,
      organizerId,
    },
    OrganizerInput: { name: 'Fuzz', email: 'fuzz@example.test' },
    SpeakerInput: { name: 'Fuzz', email: 'fuzz@example.test', biography: 'B', expertise: 'E' },
    ParticipantInput: { name: 'Fuzz', email: 'fuzz@example.test', interests: 'I' },
    RegisterInput: {
      username: 'Fuzz',
      email: 'fuzz@example.test',
      password: 'long enough password',
    },
    LoginInput: { email: 'fuzz@example.test', password: 'long enough password' },
    ChangePasswordInput: {
      currentPassword: 'wrong current password',
      newPassword: 'long enough password',
    },
  };
}

function mutatedBody(valid: Record<string, unknown>): fc.Arbitrary<unknown> {
  const keys = Object.keys(valid);
  const mutation = fc.record({
    replace: fc.dictionary(fc.constantFrom(...keys), hostileValue, { maxKeys: 2 }),
    drop: fc.subarray(keys, { maxLength: 1 }),
    // Names of Object.prototype members (`__proto__`, `constructor`) have tests of their own.
    extra: fc.option(
      fc.tuple(fc.constantFrom('id', 'isAdmin', 'Title', 'unknown', 'a.b', ''), hostileValue),
    ),
  });
  return fc.oneof(
    {
      weight: 4,
      arbitrary: mutation.map(({ replace, drop, extra }) => {
        const body: Record<string, unknown> = { ...valid, ...replace };
        for (const key of drop) delete body[key];
        if (extra !== null)
          Object.defineProperty(body, extra[0], { value: extra[1], enumerable: true });
        return body;
      }),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

function pathOf(template: string, ids: Record<string, string>): string {
  return template.replace(/\{([^}]+)\}/g, (_, name: string) => ids[name] ?? '1');
}

async function fuzz(
  api: ApiFixture,
  operation: Operation,
  bodies: Record<string, Record<string, unknown>>,
  runs: number,
): Promise<void> {
  const valid = operation.bodySchema === null ? null : (bodies[operation.bodySchema] ?? null);
  const names = [...operation.path.matchAll(/\{([^}]+)\}/g)].map((match) => match[1] ?? '');
  const input = fc.record({
    ids: fc.tuple(...names.map(() => hostileId)),
    body: valid === null ? fc.constant(undefined) : mutatedBody(valid),
    query: operation.isList ? hostileQuery : fc.constant(''),
  });

  await fc.assert(
    fc.asyncProperty(input, async ({ ids, body, query }) => {
      const path = pathOf(
        operation.path,
        Object.fromEntries(names.map((name, i) => [name, ids[i] ?? '1'])),
      );
      const url = query === '' ? path : `${path}?${query}`;
      const response = await api.request(operation.method, url, {
        ...(operation.isProtected ? { token: api.token } : {}),
        ...(body === undefined ? {} : { body }),
      });

      if (response.status >= 500)
        throw new Error(`${operation.method} ${url} answered ${response.status}: ${response.text}`);
      // A hostile id may make the path another route's (or none): only same-route answers
      // are held to this operation's declared responses.
      if (response.status !== 404 && response.status !== 405)
        assertMatchesContract(operation.id, response);
      else if (response.status === 404 && response.body?.code === 'NOT_FOUND')
        assertMatchesContract(operation.id, response);
    }),
    { seed: SEED, numRuns: runs, endOnFailure: true },
  );
}

await dialectSuites('schema-driven fuzz', (test, api) => {
  const operations = readOperations();
  let bodies: Record<string, Record<string, unknown>> = {};

  test.before(async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id, { capacity: 3 });
    await api.createSpeaker();
    await api.createParticipant();
    bodies = validBodies(organizer.id);
    await api.link(1, event.id);
  });

  for (const operation of operations) {
    // Register, login and change-password hash passwords (~0.5 s each): fewer runs.
    const runs = operation.id.startsWith('auth.') ? 6 : 60;
    test(`${operation.method} ${operation.path} (${operation.id}) never answers 5xx or off-contract`, async () => {
      await fuzz(api, operation, bodies, runs);
    });
  }
});
