// miss-read: the spread read against a server started with CACHE_ENABLED=false, so every
// request crosses to a worker and the database. Start the API for it with:
//   CACHE_ENABLED=false npm start
//   k6 run -e BASE_URL=http://localhost:8079 -e EVENT_COUNT=400 bench/k6/miss-read.js
// The same script measures the scale check: run it against a server on a database with 1k
// and with 1M events (EVENT_COUNT=1000 / 1000000), both with CACHE_ENABLED=false.
import { getEvent, loadOptions, randomEventId } from './common.js';

export const options = loadOptions({ http_req_duration: ['p(99)<500'] });

export default function () {
  getEvent(randomEventId(), 'miss');
}
