// login: POST /authentication/login as the demo user. Each login costs one scrypt (N=2^17,
// 128 MiB) in a worker, so use few virtual users (the bench uses 2).
//   k6 run -e BASE_URL=http://localhost:8079 -e VUS=2 bench/k6/login.js
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, DEMO_USER, loadOptions } from './common.js';

export const options = loadOptions(
  { http_req_duration: ['p(99)<5000'] },
  { vus: Number(__ENV.VUS || 2) },
);

export default function () {
  const res = http.post(`${BASE_URL}/authentication/login`, JSON.stringify(DEMO_USER), {
    headers: { 'Content-Type': 'application/json' },
    tags: { name: 'POST /authentication/login' },
  });
  check(res, { 'login is 200': (r) => r.status === 200 && r.json('token') !== undefined });
}
