import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PLACEHOLDER_SECRET } from '../../src/config.js';
import {
  exitWithin,
  logLines,
  startApiProcess,
  STRONG_SECRET,
  waitUntilReady,
  type ApiProcess,
} from './support/api-process.js';

/**
 * The production start path of the real process (`node dist/src/main.js`), as the image
 * runs it: NODE_ENV=production refuses a missing, short or placeholder JWT_SECRET with a
 * clear message and a non-zero exit, and serves with a proper one.
 */

const test = suite('production start');

/** sysexits EX_CONFIG: what src/main.ts exits with on a configuration error. */
const EX_CONFIG = 78;

async function expectRefusal(env: Record<string, string>, message: RegExp): Promise<ApiProcess> {
  const api = await startApiProcess({ NODE_ENV: 'production', ...env });
  try {
    const { code } = await exitWithin(api, 15_000);
    assert.is(code, EX_CONFIG, `exit code (stderr: ${api.stderr()})`);
    assert.match(api.stderr(), /JWT_SECRET/, 'stderr names JWT_SECRET');
    assert.match(api.stderr(), message);
    assert.not.match(api.stdout(), /"msg":"listening"/, 'never listened');
    return api;
  } finally {
    await api.cleanup();
  }
}

test('missing JWT_SECRET: refuses to start', async () => {
  await expectRefusal({}, /JWT_SECRET is required in production \(at least 32 bytes\)/);
});

test('short JWT_SECRET: refuses to start without echoing the secret', async () => {
  const api = await expectRefusal(
    { JWT_SECRET: 'too-short-s3cret' },
    /JWT_SECRET must be at least 32 bytes in production/,
  );
  assert.not.ok(api.stderr().includes('too-short-s3cret'), 'the secret is not printed');
  assert.not.ok(api.stdout().includes('too-short-s3cret'), 'the secret is not logged');
});

test('the .env.example placeholder: refuses to start', async () => {
  await expectRefusal(
    { JWT_SECRET: PLACEHOLDER_SECRET },
    /JWT_SECRET is still the placeholder from \.env\.example; set a random secret/,
  );
});

test('a whitespace-only JWT_SECRET counts as missing', async () => {
  await expectRefusal({ JWT_SECRET: '     ' }, /JWT_SECRET is required in production/);
});

test('a proper 48-byte secret: serves, then SIGTERM exits 0', async () => {
  assert.is(Buffer.byteLength(STRONG_SECRET), 48);
  const api = await startApiProcess({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET });
  try {
    await waitUntilReady(api);
    const ready = await fetch(`http://127.0.0.1:${api.port}/health/ready`);
    assert.is(ready.status, 200);
    assert.equal(await ready.json(), { status: 'ok', checks: { database: 'up' } });
    const live = await fetch(`http://127.0.0.1:${api.port}/health/live`);
    assert.is(live.status, 200);

    api.child.kill('SIGTERM');
    const { code, signal } = await exitWithin(api, 15_000);
    assert.is(signal, null);
    assert.is(code, 0);

    const messages = logLines(api).map((line) => line.msg);
    assert.ok(messages.includes('listening'));
    assert.ok(messages.includes('shutting down'));
    assert.not.ok(messages.some((m) => String(m).includes('random per-process secret')));
    assert.not.ok(api.stdout().includes(STRONG_SECRET), 'the secret is never logged');
    assert.not.ok(api.stderr().includes(STRONG_SECRET), 'the secret is never printed');
  } finally {
    await api.cleanup();
  }
});

test('outside production a missing secret is allowed, with a warning', async () => {
  const api = await startApiProcess({ NODE_ENV: 'development' });
  try {
    await waitUntilReady(api);
    const warning = logLines(api).find((line) => line.level === 'warn');
    assert.match(String(warning?.msg), /JWT_SECRET not set/);
    api.child.kill('SIGTERM');
    assert.is((await exitWithin(api, 15_000)).code, 0);
  } finally {
    await api.cleanup();
  }
});

test.run();
