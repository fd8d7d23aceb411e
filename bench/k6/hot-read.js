// hot-read: GET /event/{EVENT_ID} over and over, answered from the near cache. Against an
// API started with REDIS_URL it measures the near cache of the two-level cache
// (hot-read-layered); without, the single-level in-process cache (hot-read).
//   k6 run -e BASE_URL=http://localhost:8079 bench/k6/hot-read.js
import { BASE_URL, getEvent, loadOptions } from './common.js';
import http from 'k6/http';

const EVENT_ID = Number(__ENV.EVENT_ID || 1);

export const options = loadOptions({ http_req_duration: ['p(99)<50'] });

export function setup() {
  // Fill the cache so that every measured request is a hit.
  http.get(`${BASE_URL}/event/${EVENT_ID}`);
}

export default function () {
  getEvent(EVENT_ID, 'hit');
}
