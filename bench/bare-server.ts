import uWS from 'uWebSockets.js';
import { listenUntilStopped, readCapturedResponse } from './bare-response.js';

/**
 * The ceiling of the cached read: a bare uWebSockets.js handler that answers every request
 * with exactly the status line, headers and body the API sent for a cached GET /event/{id}
 * (captured by run.ts), with no routing, cache lookup, trace id or logging.
 *
 * Usage: node dist/bench/bare-server.js <response.json> <port>
 * where response.json is { "status": "200 OK", "headers": [[name, value]...], "bodyBase64": "..." }.
 * Prints `listening <port>` once bound; exits on SIGTERM/SIGINT.
 */
const [file, portText] = process.argv.slice(2);
if (file === undefined || portText === undefined) {
  process.stderr.write('usage: bare-server.js <response.json> <port>\n');
  process.exit(2);
}

const captured = readCapturedResponse(file);
const body = Buffer.from(captured.bodyBase64, 'base64');
const status = captured.status;
const headers = captured.headers;

const app = uWS.App().any('/*', (res) => {
  res.writeStatus(status);
  for (const [name, value] of headers) res.writeHeader(name, value);
  res.end(body);
});

listenUntilStopped(app, Number(portText));
