// spread-read: GET /event/{random id} over events 1..EVENT_COUNT, all cached after setup.
//   k6 run -e BASE_URL=http://localhost:8079 -e EVENT_COUNT=400 bench/k6/spread-read.js
import http from 'k6/http';
import { BASE_URL, EVENT_COUNT, getEvent, loadOptions, randomEventId } from './common.js';

export const options = loadOptions({ http_req_duration: ['p(99)<50'] });

export function setup() {
  for (let id = 1; id <= EVENT_COUNT; id++) http.get(`${BASE_URL}/event/${id}`);
}

export default function () {
  getEvent(randomEventId(), 'hit');
}
