// write-mix: half PUT /event/update/{id} (the event's own fields, a new description), half
// POST /participant/{eventId}/participant/{participantId}. 409 EVENT_FULL is an expected
// outcome of a registration and does not count as a failure.
//   k6 run -e BASE_URL=http://localhost:8079 bench/k6/write-mix.js      (logs in as the demo user)
//   k6 run -e BASE_URL=... -e TOKEN=<jwt> bench/k6/write-mix.js
// It changes the data: run it on a database you can throw away (npm run seed into a new file).
import http from 'k6/http';
import { check } from 'k6';
import { BASE_URL, EVENT_COUNT, bearerToken, loadOptions, pick } from './common.js';

export const options = loadOptions({ http_req_duration: ['p(99)<2000'] });

http.setResponseCallback(http.expectedStatuses({ min: 200, max: 299 }, 409));

export function setup() {
  const token = bearerToken();
  const updates = [];
  const targets = [];
  const participants = {};
  const withRoom = [];
  for (let id = 1; id <= Math.min(EVENT_COUNT, 400); id++) {
    const res = http.get(`${BASE_URL}/event/${id}`);
    if (res.status !== 200) continue;
    const doc = res.json();
    for (const p of doc.participants) participants[p.id] = true;
    if (doc.capacity === null) targets.push(doc.id);
    else withRoom.push({ id: doc.id, room: doc.capacity - doc.participants.length });
    if (doc.organizer !== null && Date.parse(doc.date) > Date.now() && updates.length < 100) {
      updates.push({
        id: doc.id,
        body: {
          title: doc.title,
          description: doc.description,
          date: doc.date,
          location: doc.location,
          category: doc.category,
          capacity: doc.capacity,
          organizerId: doc.organizer.id,
        },
      });
    }
  }
  // No event without a capacity: register for the ones with the most seats left (as npm run
  // bench does); once they fill up, 409 EVENT_FULL is the expected answer.
  if (targets.length === 0) {
    withRoom.sort((a, b) => b.room - a.room);
    for (const event of withRoom.slice(0, 20)) targets.push(event.id);
  }
  const participantIds = Object.keys(participants).map(Number);
  if (targets.length === 0 || participantIds.length === 0) {
    throw new Error(
      `write-mix needs events and participants at ${BASE_URL} (found ${targets.length} events ` +
        `to register for, ${participantIds.length} participants): run npm run seed first`,
    );
  }
  return { token, updates, targets, participantIds };
}

export default function (data) {
  const auth = { Authorization: `Bearer ${data.token}` };
  // Without an event to update (none in the future with an organizer), only registrations.
  if (data.updates.length > 0 && Math.random() < 0.5) {
    const update = pick(data.updates);
    const body = Object.assign({}, update.body, { description: `Updated by k6 at ${Date.now()}.` });
    const res = http.put(`${BASE_URL}/event/update/${update.id}`, JSON.stringify(body), {
      headers: Object.assign({ 'Content-Type': 'application/json' }, auth),
      tags: { name: 'PUT /event/update/{id}' },
    });
    check(res, { 'update is 200': (r) => r.status === 200 });
  } else {
    const eventId = pick(data.targets);
    const participantId = pick(data.participantIds);
    const res = http.post(`${BASE_URL}/participant/${eventId}/participant/${participantId}`, null, {
      headers: auth,
      tags: { name: 'POST /participant/{eventId}/participant/{participantId}' },
    });
    check(res, {
      'registered (200) or EVENT_FULL (409)': (r) =>
        r.status === 200 || (r.status === 409 && r.json('code') === 'EVENT_FULL'),
    });
  }
}
