import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ConfigError, loadConfig } from '../../src/config.js';
import { parseNode } from '../../src/cache/redis-connection.js';

const test = suite('cache configuration');

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

test('defaults to the in-process cache with the documented Redis settings', () => {
  const config = loadConfig({});

  assert.is(config.redisUrl, null);
  assert.is(config.redisClusterNodes, null);
  assert.is(config.redisCommandTimeoutMs, 150);
  assert.is(config.nearCacheTtlSeconds, 3);
  assert.is(config.nearCacheMaxBytes, 16 * 1024 * 1024);
});

test('reads a Redis URL or a list of cluster nodes', () => {
  assert.is(
    loadConfig({ REDIS_URL: 'rediss://:pw@cache:6380/2' }).redisUrl,
    'rediss://:pw@cache:6380/2',
  );
  assert.equal(loadConfig({ REDIS_CLUSTER_NODES: 'a:7000, b:7001,[::1]:7002' }).redisClusterNodes, [
    'a:7000',
    'b:7001',
    '[::1]:7002',
  ]);
  assert.equal(parseNode('[::1]:7002'), { host: '::1', port: 7002 });
  assert.equal(parseNode('rediss://user:pw@cache.example:7000'), {
    host: 'cache.example',
    port: 7000,
  });
});

test('reports malformed or conflicting Redis settings together', () => {
  const problems = problemsOf({
    REDIS_URL: 'localhost:6379',
    REDIS_CLUSTER_NODES: 'a:7000,b',
    REDIS_COMMAND_TIMEOUT_MS: '0',
    NEAR_CACHE_TTL_SECONDS: 'soon',
  });

  assert.is(problems.length, 5, problems.join('\n'));
});

test.run();
