import { readFileSync } from 'node:fs';
import uWS from 'uWebSockets.js';

/**
 * What the bare servers replay: the status line and headers the API sent for a cached
 * GET /event/{id} (captured by run.ts), and the bodies to answer with.
 */
export interface CapturedResponse {
  status: string;
  headers: Array<[string, string]>;
  /** The hot event's body (bare-server.ts). */
  bodyBase64: string;
  /** Bodies by event id (bare-redis-server.ts stores them in Redis). */
  bodiesBase64?: Record<string, string>;
}

export function readCapturedResponse(file: string): CapturedResponse {
  return JSON.parse(readFileSync(file, 'utf8')) as CapturedResponse;
}

/**
 * Listens on the port, prints `listening <port>` once bound, and on SIGTERM/SIGINT closes
 * the socket, awaits `onStop` and exits.
 */
export function listenUntilStopped(
  app: uWS.TemplatedApp,
  port: number,
  onStop: () => Promise<void> = () => Promise.resolve(),
): void {
  app.listen('0.0.0.0', port, (socket) => {
    if (socket === false) {
      process.stderr.write(`cannot listen on ${port}\n`);
      process.exit(1);
    }
    process.stdout.write(`listening ${uWS.us_socket_local_port(socket)}\n`);
    const stop = (): void => {
      uWS.us_listen_socket_close(socket);
      void onStop().finally(() => process.exit(0));
    };
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
