// spread-read-l2: GET /event/{random id} answered by Redis (the shared level): the near cache
// is given the smallest budget config accepts, so it holds at most one document and every
// other read is a Redis hit. Start Redis and the API for it with:
//   redis-server --port 6379 --save '' --appendonly no
//   REDIS_URL=redis://127.0.0.1:6379 NEAR_CACHE_MAX_BYTES=1024 CACHE_MAX_BYTES=1024 npm start
//   k6 run -e BASE_URL=http://localhost:8079 -e EVENT_COUNT=400 bench/k6/spread-read-l2.js
// X-Cache says hit for both levels; GET /metrics (eventflow_cache_hits_total{level="redis"})
// shows that Redis answered. hot-read.js against the same Redis but the default near-cache
// budget measures the near-cache hit of the two-level cache (the bench's hot-read-layered).
import http from 'k6/http';
import { BASE_URL, EVENT_COUNT, getEvent, loadOptions, randomEventId } from './common.js';

export const options = loadOptions({ http_req_duration: ['p(99)<100'] });

export function setup() {
  // Every document into Redis, so that every measured read is a Redis hit.
  for (let id = 1; id <= EVENT_COUNT; id++) http.get(`${BASE_URL}/event/${id}`);
}

export default function () {
  getEvent(randomEventId(), 'hit');
}
