import { SignJWT } from 'jose';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { OWASP_SCRYPT_COST, ScryptPasswordHasher } from '../../src/security/passwords.js';
import { createTokenIssuer, createTokenVerifier } from '../../src/security/tokens.js';

const LOW_COST = { logN: 10, r: 8, p: 1 };
const passwords = suite('ScryptPasswordHasher');

passwords('uses the OWASP cost by default: N=2^17, r=8, p=1', () => {
  const hasher = new ScryptPasswordHasher();
  assert.equal(hasher.cost, { logN: 17, r: 8, p: 1 });
  assert.equal(OWASP_SCRYPT_COST, { logN: 17, r: 8, p: 1 });
});

passwords('stores a self-describing salted hash that verifies', async () => {
  const hasher = new ScryptPasswordHasher({ cost: LOW_COST });
  const stored = await hasher.hash('correct horse battery');
  const again = await hasher.hash('correct horse battery');

  assert.match(stored, /^scrypt\$10\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  assert.is.not(stored, again, 'a fresh salt each time');
  assert.equal(await hasher.verify('correct horse battery', stored), {
    ok: true,
    needsRehash: false,
  });
  assert.equal(await hasher.verify('wrong horse battery', stored), {
    ok: false,
    needsRehash: false,
  });
});

passwords('asks for a rehash when the stored cost is below the current one', async () => {
  const old = await new ScryptPasswordHasher({ cost: LOW_COST }).hash('pa55word!');
  const stronger = new ScryptPasswordHasher({ cost: { logN: 11, r: 8, p: 1 } });

  assert.equal(await stronger.verify('pa55word!', old), { ok: true, needsRehash: true });
  assert.equal(await stronger.verify('other', old), { ok: false, needsRehash: false });
});

passwords('treats malformed or extravagant stored hashes as a mismatch', async () => {
  const hasher = new ScryptPasswordHasher({ cost: LOW_COST });
  const garbage = [
    '',
    'plain',
    'bcrypt$10$x',
    'scrypt$30$8$1$c2FsdA==$a2V5a2V5a2V5a2V5a2V5',
    'scrypt$x$8$1$a$b',
  ];
  for (const stored of garbage) {
    assert.equal(
      await hasher.verify('anything', stored),
      { ok: false, needsRehash: false },
      stored,
    );
  }
});

passwords('matches composed and decomposed spellings of the same password', async () => {
  const hasher = new ScryptPasswordHasher({ cost: LOW_COST });
  const stored = await hasher.hash('caf\u00e9-secret');
  assert.is((await hasher.verify('cafe\u0301-secret', stored)).ok, true);
});

const tokens = suite('tokens');
const secret = new TextEncoder().encode('a-test-secret-that-is-at-least-32-bytes-long');
const config = { secret, issuer: 'eventflow', audience: 'eventflow-clients' };
const user = { id: 42, username: 'Ana', email: 'ana@example.com' };
const issuedAt = new Date('2030-01-01T00:00:00.000Z');

tokens('issues a 4-hour HS256 token with sub, name and email', async () => {
  const issuer = createTokenIssuer({ ...config, now: () => issuedAt });
  const { token, expiresAt } = await issuer.issue(user);

  assert.is(expiresAt, '2030-01-01T04:00:00.000Z');
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  assert.is(header.alg, 'HS256');
  assert.equal(
    {
      sub: payload.sub,
      name: payload.name,
      email: payload.email,
      iss: payload.iss,
      aud: payload.aud,
    },
    {
      sub: '42',
      name: 'Ana',
      email: 'ana@example.com',
      iss: 'eventflow',
      aud: 'eventflow-clients',
    },
  );
  assert.is(payload.exp - payload.iat, 14_400);
});

tokens('verifies its own tokens and yields the user id', async () => {
  const { token } = await createTokenIssuer({ ...config, now: () => issuedAt }).issue(user);
  const verifier = createTokenVerifier({ ...config, now: () => new Date('2030-01-01T01:00:00Z') });
  assert.equal(await verifier.verify(token), { userId: 42 });
});

tokens('refuses expired tokens beyond the clock tolerance', async () => {
  const { token } = await createTokenIssuer({ ...config, now: () => issuedAt }).issue(user);
  const at = (iso: string) => createTokenVerifier({ ...config, now: () => new Date(iso) });

  assert.equal(await at('2030-01-01T04:00:04Z').verify(token), { userId: 42 });
  assert.is(await at('2030-01-01T04:00:06Z').verify(token), null);
});

tokens(
  'refuses wrong issuer, audience, secret, algorithm and garbage without throwing',
  async () => {
    const verifier = createTokenVerifier({ ...config, now: () => issuedAt });
    const sign = (claims: Record<string, unknown>, key = secret, alg = 'HS256') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg })
        .setSubject('42')
        .setIssuedAt(issuedAt)
        .setExpirationTime(new Date(issuedAt.getTime() + 3600_000))
        .sign(key);

    const wrongIssuer = await sign({ iss: 'someone-else', aud: config.audience });
    const wrongAudience = await sign({ iss: config.issuer, aud: 'other' });
    const wrongKey = await sign(
      { iss: config.issuer, aud: config.audience },
      new TextEncoder().encode('another-secret-that-is-at-least-32-bytes'),
    );
    const hs512 = await sign({ iss: config.issuer, aud: config.audience }, secret, 'HS512');
    const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"42"}').toString('base64url')}.`;

    for (const token of [
      wrongIssuer,
      wrongAudience,
      wrongKey,
      hs512,
      unsigned,
      '',
      'a.b.c',
      'x'.repeat(5000),
    ]) {
      assert.is(await verifier.verify(token), null, token.slice(0, 40));
    }
  },
);

tokens('refuses a subject that is not a positive 32-bit integer', async () => {
  const verifier = createTokenVerifier({ ...config, now: () => issuedAt });
  for (const sub of ['0', '-1', '007', '1.5', 'admin', '2147483648', '']) {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer(config.issuer)
      .setAudience(config.audience)
      .setIssuedAt(issuedAt)
      .setExpirationTime(new Date(issuedAt.getTime() + 3600_000))
      .sign(secret);
    assert.is(await verifier.verify(token), null, sub);
  }
});

passwords.run();
tokens.run();
