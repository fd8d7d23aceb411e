// spread-read-mixed: GET /event/{random id} against a near cache whose byte budget holds about
// a quarter of the documents, so most reads miss, load and evict. `npm run bench` sets the
// budget from the documents it read (about 120 KB for the 400 seeded events: see
// dataset.partialCacheBytes in bench/results/latest.json). Start the API for it with:
//   CACHE_MAX_BYTES=120000 npm start
//   k6 run -e BASE_URL=http://localhost:8079 -e EVENT_COUNT=400 bench/k6/spread-read-mixed.js
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, EVENT_COUNT, loadOptions, randomEventId } from './common.js';

export const options = loadOptions({ http_req_duration: ['p(99)<500'] });

export function setup() {
  // Fill the cache up to its budget, as the bench does before measuring.
  for (let id = 1; id <= EVENT_COUNT; id++) http.get(`${BASE_URL}/event/${id}`);
}

export default function () {
  const res = http.get(`${BASE_URL}/event/${randomEventId()}`, {
    tags: { name: 'GET /event/{id}' },
  });
  check(res, {
    'status is 200': (r) => r.status === 200,
    'X-Cache is hit or miss': (r) =>
      r.headers['X-Cache'] === 'hit' || r.headers['X-Cache'] === 'miss',
  });
}
