// list-page: GET /event/all with a filter, a sort and a page; not cached, answered by a worker.
//   k6 run -e BASE_URL=http://localhost:8079 bench/k6/list-page.js
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, loadOptions, pick } from './common.js';

const WORDS = [
  'Cloud',
  'Data',
  'TypeScript',
  'Security',
  'Rust',
  'DevOps',
  'Summit',
  'Meetup',
  'Workshop',
  'Lisboa',
  'Berlin',
  'Osaka',
  'são',
  'zürich',
];
const SORTS = ['date', 'date_desc', 'title', 'title_desc'];

export const options = loadOptions({ http_req_duration: ['p(99)<1000'] });

export default function () {
  const sortBy = pick(SORTS);
  const query =
    Math.random() < 0.25
      ? `pageNumber=${1 + Math.floor(Math.random() * 20)}&pageSize=20&sortBy=${sortBy}`
      : `pageNumber=${1 + Math.floor(Math.random() * 3)}&pageSize=10&sortBy=${sortBy}` +
        `&filter=${encodeURIComponent(pick(WORDS))}`;
  const res = http.get(`${BASE_URL}/event/all?${query}`, { tags: { name: 'GET /event/all' } });
  check(res, {
    'status is 200': (r) => r.status === 200,
    'has X-Pagination': (r) => r.headers['X-Pagination'] !== undefined,
  });
}
