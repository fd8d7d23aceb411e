import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  SignJWT,
  UnsecuredJWT,
  type JWTPayload,
} from 'jose';
import * as assert from 'uvu/assert';
import type { UserDocument } from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import {
  dialectSuites,
  expectStatus,
  futureDate,
  nextNumber,
  type ApiFixture,
  type ApiResponse,
} from './api-fixture.js';

const PASSWORD = 'correct horse battery staple';

interface ProtectedRoute {
  operationId: string;
  method: string;
  path: string;
  body?: unknown;
}

/** Every protected route of the contract, with a body that is valid for it. */
function protectedRoutes(ids: {
  organizer: number;
  event: number;
  speaker: number;
  participant: number;
}): ProtectedRoute[] {
  const organizer = { name: 'Changed Name', email: 'changed@example.test' };
  const event = {
    title: 'Changed',
    date: futureDate(5),
    location: 'Elsewhere',
    organizerId: ids.organizer,
  };
  const speaker = { name: 'Changed', email: 'changed@example.test', biography: 'Changed.' };
  const participant = { name: 'Changed', email: 'changed@example.test' };
  return [
    {
      operationId: 'auth.changePassword',
      method: 'PUT',
      path: '/authentication/change-password',
      body: { currentPassword: PASSWORD, newPassword: 'a new password' },
    },
    { operationId: 'auth.data', method: 'GET', path: '/authentication/data' },
    { operationId: 'event.create', method: 'POST', path: '/event', body: event },
    { operationId: 'event.update', method: 'PUT', path: `/event/update/${ids.event}`, body: event },
    { operationId: 'event.delete', method: 'DELETE', path: `/event/delete/${ids.event}` },
    { operationId: 'organizer.create', method: 'POST', path: '/organizer', body: organizer },
    {
      operationId: 'organizer.assignEvent',
      method: 'POST',
      path: `/organizer/${ids.organizer}/event/${ids.event}`,
    },
    {
      operationId: 'organizer.update',
      method: 'PUT',
      path: `/organizer/update/${ids.organizer}`,
      body: organizer,
    },
    {
      operationId: 'organizer.delete',
      method: 'DELETE',
      path: `/organizer/delete/${ids.organizer}`,
    },
    { operationId: 'participant.create', method: 'POST', path: '/participant', body: participant },
    {
      operationId: 'participant.register',
      method: 'POST',
      path: `/participant/${ids.event}/participant/${ids.participant}`,
    },
    {
      operationId: 'participant.update',
      method: 'PUT',
      path: `/participant/update/${ids.participant}`,
      body: participant,
    },
    {
      operationId: 'participant.delete',
      method: 'DELETE',
      path: `/participant/delete/${ids.participant}`,
    },
    { operationId: 'speaker.create', method: 'POST', path: '/speaker', body: speaker },
    {
      operationId: 'speaker.linkEvent',
      method: 'POST',
      path: `/speaker/${ids.speaker}/event/${ids.event}`,
    },
    {
      operationId: 'speaker.update',
      method: 'PUT',
      path: `/speaker/update/${ids.speaker}`,
      body: speaker,
    },
    { operationId: 'speaker.delete', method: 'DELETE', path: `/speaker/delete/${ids.speaker}` },
  ];
}

async function registerUser(api: ApiFixture, email: string, password = PASSWORD) {
  const response = await api.request('POST', '/authentication/register', {
    body: { username: `User ${nextNumber()}`, email, password },
  });
  expectStatus(response, 201);
  assertMatchesContract('auth.register', response);
  return response.body as UserDocument;
}

async function loginAs(api: ApiFixture, email: string, password = PASSWORD): Promise<string> {
  const response = await api.request('POST', '/authentication/login', {
    body: { email, password },
  });
  expectStatus(response, 200);
  assertMatchesContract('auth.login', response);
  return (response.body as { token: string }).token;
}

function uniqueEmail(): string {
  return `person${nextNumber()}.${process.pid}@example.test`;
}

function seconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Re-signs the claims of a real token, HS256 with the server's secret unless told otherwise. */
function sign(claims: JWTPayload, secret: Uint8Array, alg = 'HS256'): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).sign(secret);
}

/** A local JWKS endpoint that counts requests: the server must never fetch it. */
async function startKeyServer(
  jwks: unknown,
): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_request, response) => {
    hits++;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/jwks.json`, hits: () => hits };
}

await dialectSuites('authentication routes', (test, api) => {
  test('registers a user and answers 201 with the user, never the password', async () => {
    const email = uniqueEmail();
    const response = await api.request('POST', '/authentication/register', {
      body: { username: 'Ada Lovelace', email, password: PASSWORD },
    });

    expectStatus(response, 201);
    assertMatchesContract('auth.register', response);
    assert.is(response.body.username, 'Ada Lovelace');
    assert.is(response.body.email, email);
    assert.not.match(response.text, PASSWORD);
    assert.not.match(response.text.toLowerCase(), 'scrypt');
  });

  test('answers 409 EMAIL_TAKEN when the e-mail is registered in another letter case', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);

    const response = await api.request('POST', '/authentication/register', {
      body: { username: 'Someone Else', email: email.toUpperCase(), password: PASSWORD },
    });

    assertProblem(response, 409, 'EMAIL_TAKEN');
    assertMatchesContract('auth.register', response);
  });

  test('two simultaneous registrations of one e-mail: one 201 and one 409 EMAIL_TAKEN', async () => {
    const email = uniqueEmail();
    const register = (address: string) =>
      api.request('POST', '/authentication/register', {
        body: { username: 'Racer', email: address, password: PASSWORD },
      });

    const answers = await Promise.all([register(email), register(email.toUpperCase())]);

    assert.equal(answers.map((response) => response.status).sort(), [201, 409]);
    const loser = answers.find((response) => response.status === 409);
    if (loser !== undefined) assertProblem(loser, 409, 'EMAIL_TAKEN');
    for (const response of answers) assertMatchesContract('auth.register', response);
  });

  test('answers 400 VALIDATION_FAILED naming each invalid registration field', async () => {
    const cases: [unknown, string][] = [
      [{ username: 'A', email: uniqueEmail(), password: 'short77' }, 'password'],
      [{ username: 'A', email: uniqueEmail(), password: 'x'.repeat(129) }, 'password'],
      [{ username: 'A', email: 'no-at-sign.example.test', password: PASSWORD }, 'email'],
      [{ username: 'A', email: 'two@at@example.test', password: PASSWORD }, 'email'],
      [{ username: 'x'.repeat(101), email: uniqueEmail(), password: PASSWORD }, 'username'],
      [{ username: '   ', email: uniqueEmail(), password: PASSWORD }, 'username'],
      [{ email: uniqueEmail(), password: PASSWORD }, 'username'],
      [{ username: 'A', email: uniqueEmail(), password: PASSWORD, isAdmin: true }, 'isAdmin'],
    ];
    for (const [body, field] of cases) {
      const response = await api.request('POST', '/authentication/register', { body });
      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract('auth.register', response);
      assert.ok(problem.errors?.[field] !== undefined, `errors name ${field}: ${response.text}`);
    }
  });

  test('rejects a registration carrying __proto__ with 400', async () => {
    const rawBody = `{"username":"A","email":"${uniqueEmail()}","password":"${PASSWORD}","__proto__":{"isAdmin":true}}`;
    const response = await api.request('POST', '/authentication/register', {
      rawBody,
      headers: { 'content-type': 'application/json' },
    });

    assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('auth.register', response);
  });

  test('logs in with a 4-hour HS256 token carrying sub, name, email, issuer and audience', async () => {
    const email = uniqueEmail();
    const user = await registerUser(api, email);
    const before = seconds();

    const response = await api.request('POST', '/authentication/login', {
      body: { email, password: PASSWORD },
    });

    expectStatus(response, 200);
    assertMatchesContract('auth.login', response);
    const { token, expiresAt } = response.body as { token: string; expiresAt: string };
    const header = decodeProtectedHeader(token);
    const claims = decodeJwt(token);
    const { jwt } = api.server.config;
    assert.is(header.alg, 'HS256');
    assert.is(claims.sub, String(user.id));
    assert.is(claims['name'], user.username);
    assert.is(claims['email'], email);
    assert.is(claims.iss, jwt.issuer);
    assert.ok(
      claims.aud === jwt.audience ||
        (Array.isArray(claims.aud) && claims.aud.includes(jwt.audience)),
    );
    assert.type(claims.iat, 'number');
    assert.is((claims.exp ?? 0) - (claims.iat ?? 0), 4 * 3600);
    assert.ok((claims.iat ?? 0) >= before - 5 && (claims.iat ?? 0) <= seconds() + 5, 'iat is now');
    assert.is(new Date(expiresAt).getTime(), (claims.exp ?? 0) * 1000, 'expiresAt is exp');
    assert.not.ok(JSON.stringify(claims).includes(PASSWORD), 'no password in the token');
  });

  test('answers 401 to a login whose e-mail and password are SQL', async () => {
    const response = await api.request('POST', '/authentication/login', {
      body: { email: "' OR 1=1 --", password: "' OR '1'='1" },
    });

    assertProblem(response, 401, 'INVALID_CREDENTIALS');
    assertMatchesContract('auth.login', response);
  });

  test('logs in with the e-mail written in another letter case', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);

    const token = await loginAs(api, email.toUpperCase());

    assert.is(decodeJwt(token)['email'], email);
  });

  test('answers the same 401 INVALID_CREDENTIALS for a wrong password and an unknown e-mail', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);

    const wrongPassword = await api.request('POST', '/authentication/login', {
      body: { email, password: 'not the password' },
    });
    const unknownEmail = await api.request('POST', '/authentication/login', {
      body: { email: uniqueEmail(), password: PASSWORD },
    });

    const first = assertProblem(wrongPassword, 401, 'INVALID_CREDENTIALS');
    const second = assertProblem(unknownEmail, 401, 'INVALID_CREDENTIALS');
    assertMatchesContract('auth.login', wrongPassword);
    assertMatchesContract('auth.login', unknownEmail);
    assert.equal({ ...first, traceId: '' }, { ...second, traceId: '' }, 'identical answers');
  });

  test('answers 400 VALIDATION_FAILED to a login without a password', async () => {
    const response = await api.request('POST', '/authentication/login', {
      body: { email: uniqueEmail() },
    });

    const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('auth.login', response);
    assert.ok(problem.errors?.['password'] !== undefined, response.text);
  });

  test('returns the logged-in user from /authentication/data', async () => {
    const email = uniqueEmail();
    const user = await registerUser(api, email);
    const token = await loginAs(api, email);

    const response = await api.request('GET', '/authentication/data', { token });

    expectStatus(response, 200);
    assertMatchesContract('auth.data', response);
    assert.equal(response.body, user);
  });

  test('changes the password: 204, the old one stops working and the new one logs in', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);
    const token = await loginAs(api, email);
    const newPassword = 'a brand new passphrase';

    const response = await api.request('PUT', '/authentication/change-password', {
      token,
      body: { currentPassword: PASSWORD, newPassword },
    });

    expectStatus(response, 204);
    assertMatchesContract('auth.changePassword', response);
    const oldLogin = await api.request('POST', '/authentication/login', {
      body: { email, password: PASSWORD },
    });
    assertProblem(oldLogin, 401, 'INVALID_CREDENTIALS');
    await loginAs(api, email, newPassword);
  });

  test('answers 400 CURRENT_PASSWORD_INCORRECT and keeps the password when the current one is wrong', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);
    const token = await loginAs(api, email);

    const response = await api.request('PUT', '/authentication/change-password', {
      token,
      body: { currentPassword: 'not the password', newPassword: 'another passphrase' },
    });

    assertProblem(response, 400, 'CURRENT_PASSWORD_INCORRECT');
    assertMatchesContract('auth.changePassword', response);
    await loginAs(api, email, PASSWORD);
  });

  test('answers 400 VALIDATION_FAILED to a new password shorter than 8 characters', async () => {
    const response = await api.request('PUT', '/authentication/change-password', {
      token: api.token,
      body: { currentPassword: PASSWORD, newPassword: 'short' },
    });

    const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
    assertMatchesContract('auth.changePassword', response);
    assert.ok(problem.errors?.['newPassword'] !== undefined, response.text);
  });

  test('accepts a token it did not issue itself when it is correctly signed (control for the cases below)', async () => {
    const claims = decodeJwt(api.token);

    const response = await api.request('GET', '/authentication/data', {
      token: await sign(claims, api.server.config.jwt.secret),
    });

    expectStatus(response, 200);
    assertMatchesContract('auth.data', response);
  });

  test('accepts the bearer scheme written in lower case', async () => {
    const response = await api.request('GET', '/authentication/data', {
      headers: { authorization: `bearer ${api.token}` },
    });

    expectStatus(response, 200);
    assertMatchesContract('auth.data', response);
  });

  test('answers 401 UNAUTHORIZED with a Bearer challenge without a token or with another scheme', async () => {
    const variants: Record<string, string>[] = [
      {},
      { authorization: 'Basic dXNlcjpwYXNz' },
      { authorization: 'Bearer' },
    ];
    for (const headers of variants) {
      const response = await api.request('GET', '/authentication/data', { headers });

      assertProblem(response, 401, 'UNAUTHORIZED');
      assertMatchesContract('auth.data', response);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer\b/);
    }
  });

  test('answers 401 INVALID_TOKEN with error="invalid_token" to every kind of bad token', async () => {
    const { jwt } = api.server.config;
    const claims = decodeJwt(api.token);
    const now = seconds();
    const [header = '', payload = '', signature = ''] = api.token.split('.');
    const tamperedPayload = Buffer.from(JSON.stringify({ ...claims, sub: '999999' })).toString(
      'base64url',
    );
    const otherSecret = new TextEncoder().encode('another-secret-of-at-least-32-bytes-long!!');

    const tokens: Record<string, string> = {
      'bad signature': await sign(claims, otherSecret),
      'tampered payload': `${header}.${tamperedPayload}.${signature}`,
      'truncated signature': `${header}.${payload}.${signature.slice(0, -4)}`,
      'alg none': new UnsecuredJWT(claims).encode(),
      'alg none with the real signature': `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.${signature}`,
      'HS512 with the same secret': await sign(claims, jwt.secret, 'HS512'),
      'HS384 with the same secret': await sign(claims, jwt.secret, 'HS384'),
      'wrong issuer': await sign({ ...claims, iss: 'someone-else' }, jwt.secret),
      'no issuer': await sign({ ...claims, iss: undefined }, jwt.secret),
      'wrong audience': await sign({ ...claims, aud: 'other-clients' }, jwt.secret),
      expired: await sign({ ...claims, iat: now - 8 * 3600, exp: now - 4 * 3600 }, jwt.secret),
      'not yet valid': await sign({ ...claims, nbf: now + 3600 }, jwt.secret),
      'no expiry': await sign({ ...claims, exp: undefined }, jwt.secret),
      'not a JWT': 'not-a-jwt',
      'three garbage segments': 'abc.def.ghi',
    };

    for (const [kind, token] of Object.entries(tokens)) {
      const response = await api.request('GET', '/authentication/data', { token });

      assert.is(response.status, 401, `${kind}: ${response.text}`);
      assertProblem(response, 401, 'INVALID_TOKEN');
      assertMatchesContract('auth.data', response);
      assert.match(
        response.headers.get('www-authenticate') ?? '',
        /^Bearer\b.*error="invalid_token"/,
        kind,
      );
    }
  });

  test('never fetches a key from a jku or x5u URL named in a token', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'attacker', alg: 'RS256', use: 'sig' };
    const keys = await startKeyServer({ keys: [jwk] });
    try {
      const claims = decodeJwt(api.token);
      const token = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: 'attacker', jku: keys.url, x5u: keys.url })
        .sign(privateKey);

      const response = await api.request('GET', '/authentication/data', { token });

      assertProblem(response, 401, 'INVALID_TOKEN');
      assert.is(keys.hits(), 0, 'the key URL was not fetched');
    } finally {
      await new Promise((resolve) => keys.server.close(resolve));
    }
  });

  test('rejects every protected route without a token (401, Bearer challenge) and changes nothing', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    const ids = {
      organizer: organizer.id,
      event: event.id,
      speaker: speaker.id,
      participant: participant.id,
    };

    for (const route of protectedRoutes(ids)) {
      const response = await api.request(
        route.method,
        route.path,
        route.body === undefined ? {} : { body: route.body },
      );

      assert.is(response.status, 401, `${route.method} ${route.path}: ${response.text}`);
      assertProblem(response, 401, 'UNAUTHORIZED');
      assertMatchesContract(route.operationId, response);
      assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer\b/);
    }

    assert.equal(await api.read(`/organizer/${organizer.id}`, 'organizer.get'), {
      ...organizer,
      events: [
        {
          id: event.id,
          title: event.title,
          description: null,
          date: event.date,
          location: event.location,
        },
      ],
    });
    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
    assert.equal(await api.read(`/speaker/${speaker.id}`, 'speaker.get'), speaker);
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), participant);
  });

  test('rejects every protected route with an invalid token (401 INVALID_TOKEN) and changes nothing', async () => {
    const organizer = await api.createOrganizer();
    const event = await api.createEvent(organizer.id);
    const speaker = await api.createSpeaker();
    const participant = await api.createParticipant();
    const ids = {
      organizer: organizer.id,
      event: event.id,
      speaker: speaker.id,
      participant: participant.id,
    };
    const claims = decodeJwt(api.token);
    const { jwt } = api.server.config;
    const badTokens = [
      await sign({ ...claims, exp: seconds() - 3600, iat: seconds() - 7200 }, jwt.secret),
      await sign(claims, jwt.secret, 'HS512'),
      new UnsecuredJWT(claims).encode(),
    ];

    for (const route of protectedRoutes(ids)) {
      for (const token of badTokens) {
        const response = await api.request(
          route.method,
          route.path,
          route.body === undefined ? { token } : { token, body: route.body },
        );

        assert.is(response.status, 401, `${route.method} ${route.path}: ${response.text}`);
        assertProblem(response, 401, 'INVALID_TOKEN');
        assertMatchesContract(route.operationId, response);
        assert.match(response.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
      }
    }

    assert.equal(await api.read(`/event/${event.id}`, 'event.get'), event);
    assert.equal(await api.read(`/speaker/${speaker.id}`, 'speaker.get'), speaker);
    assert.equal(await api.read(`/participant/${participant.id}`, 'participant.get'), participant);
    const stored = await api.read<{ name: string }>(`/organizer/${organizer.id}`, 'organizer.get');
    assert.is(stored.name, organizer.name);
  });
  test('takes as long to refuse an unknown e-mail as a wrong password', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);
    const timeLogin = async (body: unknown) => {
      const startedAt = performance.now();
      assertProblem(
        await api.request('POST', '/authentication/login', { body }),
        401,
        'INVALID_CREDENTIALS',
      );
      return performance.now() - startedAt;
    };
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

    const wrong: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 3; round++) {
      wrong.push(await timeLogin({ email, password: 'not the password' }));
      unknown.push(await timeLogin({ email: uniqueEmail(), password: 'not the password' }));
    }

    // scrypt dominates a wrong-password answer; an unknown e-mail must cost the same work.
    assert.ok(
      median(unknown) > median(wrong) * 0.5,
      `unknown ${median(unknown)} ms vs wrong ${median(wrong)} ms`,
    );
  });

  // Last in the suite: a limiter may lock this account or this client out for a while.
  test('rate-limits repeated failed logins with 429 and Retry-After while other routes keep serving', async () => {
    const email = uniqueEmail();
    await registerUser(api, email);

    const statuses: number[] = [];
    let limited: ApiResponse | null = null;
    for (let attempt = 0; attempt < 10 && limited === null; attempt++) {
      const response = await api.request('POST', '/authentication/login', {
        body: { email, password: 'guessing wrong' },
      });
      statuses.push(response.status);
      if (response.status === 429) limited = response;
      else assertProblem(response, 401, 'INVALID_CREDENTIALS');
    }

    assert.ok(
      limited !== null,
      `no 429 after ${statuses.length} failed logins: ${statuses.join(',')}`,
    );
    assertProblem(limited, 429, 'RATE_LIMITED');
    assertMatchesContract('auth.login', limited);
    assert.match(limited.headers.get('retry-after') ?? '', /^\d+$/);
    expectStatus(await api.get('/event/all'), 200);
    expectStatus(await api.request('GET', '/authentication/data', { token: api.token }), 200);
  });
});
