import { readFileSync } from 'node:fs';
import uWS from 'uWebSockets.js';

/**
 * The ceiling of the cached read: a bare uWebSockets.js handler that answers every request
 * with exactly the status line, headers and body the API sent for a cached GET /event/{id}
 * (captured by run.ts), with no routing, cache lookup, trace id or logging.
 *
 * Usage: node dist/bench/bare-server.js <response.json> <port>
 * where response.json is { "status": "200 OK", "headers": [[name, value]...], "bodyBase64": "..." }.
 * Prints `listening <port>` once bound; exits on SIGTERM/SIGINT.
 */
interface CapturedResponse {
  status: string;
  headers: Array<[string, string]>;
  bodyBase64: string;
}

const [file, portText] = process.argv.slice(2);
if (file === undefined || portText === undefined) {
  process.stderr.write('usage: bare-server.js <response.json> <port>\n');
  process.exit(2);
}

const captured = JSON.parse(readFileSync(file, 'utf8')) as CapturedResponse;
const body = Buffer.from(captured.bodyBase64, 'base64');
const status = captured.status;
const headers = captured.headers;

const app = uWS.App().any('/*', (res) => {
  res.writeStatus(status);
  for (const [name, value] of headers) res.writeHeader(name, value);
  res.end(body);
});

app.listen('0.0.0.0', Number(portText), (socket) => {
  if (socket === false) {
    process.stderr.write(`cannot listen on ${portText}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening ${uWS.us_socket_local_port(socket)}\n`);
  const stop = (): void => {
    uWS.us_listen_socket_close(socket);
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
});
