import { Redis } from 'ioredis';
import uWS from 'uWebSockets.js';
import { listenUntilStopped, readCapturedResponse } from './bare-response.js';

/**
 * The ceiling of a Redis hit: a bare uWebSockets.js handler that, per GET /event/{id},
 * performs one ioredis GET of that event's document and answers it with the status line and
 * headers the API sent for a cached read. No routing beyond the one pattern, no near cache,
 * no envelope, no trace id. Compared with spread-read-l2 (the API's Redis hit), the ratio
 * shows what the API adds to the one round trip a Redis hit must cost.
 *
 * Usage: node dist/bench/bare-redis-server.js <response.json> <port> <redis url>
 * where response.json also has "bodiesBase64": { "<id>": "..." }. The documents are stored
 * under their own key prefix (never the API's keys), expire after an hour, and are deleted
 * on SIGTERM/SIGINT. Prints `listening <port>` once they are stored.
 */
const KEY_PREFIX = 'eventflow-bench:bare:event:';
const KEY_TTL_SECONDS = 3600;

const [file, portText, redisUrl] = process.argv.slice(2);
if (file === undefined || portText === undefined || redisUrl === undefined) {
  process.stderr.write('usage: bare-redis-server.js <response.json> <port> <redis url>\n');
  process.exit(2);
}

const captured = readCapturedResponse(file);
const status = captured.status;
const headers = captured.headers;
const keys = Object.keys(captured.bodiesBase64 ?? {}).map((id) => KEY_PREFIX + id);

const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0 });
await client.connect();
const store = client.pipeline();
for (const [id, bodyBase64] of Object.entries(captured.bodiesBase64 ?? {})) {
  store.set(KEY_PREFIX + id, Buffer.from(bodyBase64, 'base64'), 'EX', KEY_TTL_SECONDS);
}
await store.exec();

const app = uWS
  .App()
  .get('/event/:id', (res, req) => {
    let isAborted = false;
    res.onAborted(() => (isAborted = true));
    client.getBuffer(KEY_PREFIX + req.getParameter(0)).then(
      (body) => {
        if (isAborted) return;
        res.cork(() => {
          if (body === null) {
            res.writeStatus('404 Not Found').end();
            return;
          }
          res.writeStatus(status);
          for (const [name, value] of headers) res.writeHeader(name, value);
          res.end(body);
        });
      },
      () => {
        if (!isAborted) res.cork(() => res.writeStatus('503 Service Unavailable').end());
      },
    );
  })
  .any('/*', (res) => {
    res.writeStatus('404 Not Found').end();
  });

listenUntilStopped(app, Number(portText), async () => {
  const timeout = new Promise((resolve) => setTimeout(resolve, 1000).unref());
  // Best effort: the keys expire anyway, and a Redis that is gone must not hold the exit.
  if (keys.length > 0) await Promise.race([client.del(...keys).catch(() => 0), timeout]);
  client.disconnect();
});
