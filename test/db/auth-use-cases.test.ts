import * as assert from 'uvu/assert';

import { STATISTICS_KEY } from '../../src/domain/cache-keys.js';
import type { LoginResult, Statistics, UserDocument } from '../../src/domain/types.js';
import { ScryptPasswordHasher } from '../../src/security/passwords.js';
import { createTokenVerifier } from '../../src/security/tokens.js';
import { NOW, TEST_TOKEN_CONFIG, assertFailure, dialectSuites, nextNumber } from './db-fixture.js';

function newUser() {
  const n = nextNumber();
  return { username: `User ${n}`, email: `User${n}@Example.com`, password: 'a long enough secret' };
}

await dialectSuites('auth use cases', (test, fixture) => {
  test('registers a user, storing a scrypt hash and the normalised e-mail', async () => {
    const body = newUser();
    const result = await fixture.ok('auth.register', { body });
    const user = result.value as UserDocument;

    assert.is(result.status, 201);
    assert.equal(result.invalidate, []);
    assert.equal(user, { id: user.id, username: body.username, email: body.email });
    const row = await fixture.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.is(row.email_normalized, body.email.toLowerCase());
    assert.match(row.password_hash, /^scrypt\$10\$8\$1\$/);
    assert.not.match(row.password_hash, body.password);
  });

  test('refuses an e-mail already registered in any letter case', async () => {
    const body = newUser();
    await fixture.ok('auth.register', { body });

    const again = await fixture.run('auth.register', {
      body: { ...body, email: body.email.toUpperCase() },
    });
    assertFailure(again, 'EMAIL_TAKEN');
    const rows = await fixture.db
      .selectFrom('users')
      .select('id')
      .where('email_normalized', '=', body.email.toLowerCase())
      .execute();
    assert.is(rows.length, 1);
  });

  test('lets exactly one of many concurrent registrations of an e-mail through', async () => {
    const body = newUser();
    const results = await Promise.all(
      Array.from({ length: 8 }, () => fixture.run('auth.register', { body })),
    );

    assert.is(results.filter((result) => result.ok).length, 1);
    for (const result of results.filter((r) => !r.ok)) assertFailure(result, 'EMAIL_TAKEN');
  });

  test('logs in case-insensitively and returns a token for the user', async () => {
    const body = newUser();
    const user = (await fixture.ok('auth.register', { body })).value as UserDocument;

    const result = await fixture.ok('auth.login', {
      body: { email: body.email.toLowerCase(), password: body.password },
    });
    const login = result.value as LoginResult;

    assert.is(login.expiresAt, new Date(NOW.getTime() + 4 * 3600_000).toISOString());
    const verifier = createTokenVerifier({ ...TEST_TOKEN_CONFIG, now: () => NOW });
    assert.equal(await verifier.verify(login.token), { userId: user.id });
  });

  test('answers the same INVALID_CREDENTIALS for a wrong password and an unknown e-mail', async () => {
    const body = newUser();
    await fixture.ok('auth.register', { body });

    const wrong = await fixture.run('auth.login', {
      body: { email: body.email, password: 'not the password' },
    });
    const unknown = await fixture.run('auth.login', {
      body: { email: 'nobody@example.com', password: body.password },
    });

    assertFailure(wrong, 'INVALID_CREDENTIALS');
    assert.equal(wrong, unknown);
  });

  test('rehashes a password stored at a lower cost on login', async () => {
    const body = newUser();
    const user = (await fixture.ok('auth.register', { body })).value as UserDocument;
    const weak = await new ScryptPasswordHasher({ cost: { logN: 8, r: 8, p: 1 } }).hash(
      body.password,
    );
    await fixture.db
      .updateTable('users')
      .set({ password_hash: weak })
      .where('id', '=', user.id)
      .execute();

    await fixture.ok('auth.login', { body: { email: body.email, password: body.password } });

    const row = await fixture.db
      .selectFrom('users')
      .select('password_hash')
      .where('id', '=', user.id)
      .executeTakeFirstOrThrow();
    assert.match(row.password_hash, /^scrypt\$10\$/);
  });

  test('changes the password only with the current one', async () => {
    const body = newUser();
    const user = (await fixture.ok('auth.register', { body })).value as UserDocument;

    const wrong = await fixture.run('auth.changePassword', {
      userId: user.id,
      body: { currentPassword: 'guess', newPassword: 'a brand new secret' },
    });
    assertFailure(wrong, 'CURRENT_PASSWORD_INCORRECT');

    const changed = await fixture.ok('auth.changePassword', {
      userId: user.id,
      body: { currentPassword: body.password, newPassword: 'a brand new secret' },
    });
    assert.equal([changed.status, changed.value, changed.invalidate], [204, undefined, []]);

    assertFailure(await fixture.run('auth.login', { body }), 'INVALID_CREDENTIALS');
    assert.ok(
      (
        await fixture.run('auth.login', {
          body: { email: body.email, password: 'a brand new secret' },
        })
      ).ok,
    );
  });

  test('returns the signed-in user, and 404 once the account is gone', async () => {
    const body = newUser();
    const user = (await fixture.ok('auth.register', { body })).value as UserDocument;

    assert.equal((await fixture.ok('auth.data', { userId: user.id })).value, user);
    await fixture.db.deleteFrom('users').where('id', '=', user.id).execute();
    assertFailure(await fixture.run('auth.data', { userId: user.id }), 'NOT_FOUND');
    assertFailure(await fixture.run('auth.data', {}), 'UNAUTHORIZED');
  });

  test('counts events, organizers, speakers and participants', async () => {
    const before = (await fixture.ok('statistics.get')).value as Statistics;
    const organizerId = await fixture.organizer();
    await fixture.event(organizerId);
    await fixture.speaker();
    await fixture.participant();
    const after = (await fixture.ok('statistics.get')).value as Statistics;

    assert.equal(after, {
      eventCount: before.eventCount + 1,
      organizerCount: before.organizerCount + 1,
      speakerCount: before.speakerCount + 1,
      participantCount: before.participantCount + 1,
    });
    const created = await fixture.ok('participant.create', { body: { name: 'x', email: 'x@y' } });
    assert.ok(created.invalidate.includes(STATISTICS_KEY));
  });

  test('reports the database ready', async () => {
    const result = await fixture.ok('health.ready');
    assert.equal(result.value, { status: 'ok', checks: { database: 'up' } });
  });
});
