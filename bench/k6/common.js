// Shared helpers of the k6 scripts (k6 runs plain ES modules; no Node APIs here).
//
// Which script covers which `npm run bench` scenario, and the server settings it needs:
//   hot-read.js          hot-read (no Redis) and hot-read-layered (the API started with
//                        REDIS_URL); with OTEL_* set, hot-read-traced and hot-read-sampled
//   spread-read.js       spread-read
//   miss-read.js         miss-read, scale-small and scale-large (CACHE_ENABLED=false)
//   spread-read-mixed.js spread-read-mixed (CACHE_MAX_BYTES about a quarter of the documents)
//   spread-read-l2.js    spread-read-l2 (REDIS_URL, NEAR_CACHE_MAX_BYTES=1024)
//   list-page.js, write-mix.js, login.js: the scenarios of the same name
// bare-ceiling and bare-redis-get measure the bench's own servers (bench/bare-server.ts,
// bench/bare-redis-server.ts), not the API; they have no k6 script. Neither does pipelining,
// which k6 does not do.
import http from 'k6/http';
import { check } from 'k6';

export const BASE_URL = (__ENV.BASE_URL || 'http://localhost:8079').replace(/\/+$/, '');

/** Demo account created by `npm run seed`. */
export const DEMO_USER = {
  email: __ENV.DEMO_EMAIL || 'demo@eventflow.example',
  password: __ENV.DEMO_PASSWORD || 'EventFlow-demo-2027',
};

/** Load shape shared by every script: VUS virtual users for DURATION (like autocannon's connections). */
export function loadOptions(thresholds, extra) {
  const options = {
    vus: Number(__ENV.VUS || 32),
    duration: __ENV.DURATION || '15s',
    thresholds: Object.assign(
      {
        // Same rule as npm run bench: no errors, no unexpected status.
        http_req_failed: ['rate==0'],
        checks: ['rate==1'],
      },
      thresholds || {},
    ),
  };
  return Object.assign(options, extra || {});
}

/** Events 1..EVENT_COUNT (the seed makes 400; the scale databases 1k and 1M). */
export const EVENT_COUNT = Number(__ENV.EVENT_COUNT || 400);

export function randomEventId() {
  return 1 + Math.floor(Math.random() * EVENT_COUNT);
}

export function pick(items) {
  return items[Math.floor(Math.random() * items.length)];
}

/** A bearer token: TOKEN from the environment, or a login as the demo user. */
export function bearerToken() {
  if (__ENV.TOKEN) return __ENV.TOKEN;
  const res = http.post(`${BASE_URL}/authentication/login`, JSON.stringify(DEMO_USER), {
    headers: { 'Content-Type': 'application/json' },
  });
  if (res.status !== 200) {
    throw new Error(`login as ${DEMO_USER.email} failed: ${res.status} ${res.body}`);
  }
  return res.json('token');
}

/** GET /event/{id}, checking status and, when `cache` is given, the X-Cache header. */
export function getEvent(id, cache) {
  const res = http.get(`${BASE_URL}/event/${id}`, { tags: { name: 'GET /event/{id}' } });
  const checks = { 'status is 200': (r) => r.status === 200 };
  if (cache) checks[`X-Cache is ${cache}`] = (r) => r.headers['X-Cache'] === cache;
  check(res, checks);
  return res;
}
