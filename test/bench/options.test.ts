import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseOptions, USAGE } from '../../bench/options.js';
import { scenarioByName } from '../../bench/scenarios.js';

const test = suite('bench parseOptions');

test('takes the database and Redis from DATABASE_URL and REDIS_URL when no flag is given', () => {
  const options = parseOptions(['--quick'], '/repo', {
    DATABASE_URL: 'postgres://bench@127.0.0.1:5432/bench',
    REDIS_URL: 'redis://127.0.0.1:6379',
  });

  assert.is(options.databaseUrl, 'postgres://bench@127.0.0.1:5432/bench');
  assert.is(options.databaseUrlFrom, 'DATABASE_URL');
  assert.is(options.redisUrl, 'redis://127.0.0.1:6379');
  assert.is(options.redisUrlFrom, 'REDIS_URL');
});

test('prefers the flags to the environment', () => {
  const options = parseOptions(
    ['--database-url', 'sqlite:/tmp/bench.db', '--redis-url=redis://127.0.0.1:6380'],
    '/repo',
    { DATABASE_URL: 'postgres://other/db', REDIS_URL: 'redis://other:6379' },
  );

  assert.is(options.databaseUrl, 'sqlite:/tmp/bench.db');
  assert.is(options.databaseUrlFrom, '--database-url');
  assert.is(options.redisUrl, 'redis://127.0.0.1:6380');
  assert.is(options.redisUrlFrom, '--redis-url');
});

test('runs on a temporary SQLite file without Redis when neither is set or they are empty', () => {
  const options = parseOptions([], '/repo', { DATABASE_URL: '', REDIS_URL: ' ' });

  assert.is(options.databaseUrl, null);
  assert.is(options.databaseUrlFrom, null);
  assert.is(options.redisUrl, null);
  assert.is(options.redisUrlFrom, null);
});

test('documents the environment defaults and the connection caps of the catalogue', () => {
  assert.match(USAGE, /DATABASE_URL from the environment/);
  assert.match(USAGE, /REDIS_URL from\s+the environment/);
  assert.ok(USAGE.includes(`login uses at most ${scenarioByName('login').maxConnections}`));
});

test.run();
