/**
 * HTTP/1.1 over a plain socket, for what fetch cannot do: chunked uploads, trickled bytes,
 * oversized headers, and seeing whether the server answered at all or just closed.
 */
import { connect } from 'node:net';

export interface RawResponse {
  /** Null when the server sent no HTTP response before closing or before `maxMs`. */
  status: number | null;
  head: string;
  body: string;
  /** Whether the server closed the connection (rather than the client giving up). */
  isClosedByServer: boolean;
  elapsedMs: number;
}

/**
 * Sends `parts` over a plain socket, pausing `pauseMs` between them, and returns the first
 * response, or what happened instead. Write errors after the server closed the connection
 * are expected and ignored.
 */
export function rawExchange(
  port: number,
  parts: (string | Buffer)[],
  pauseMs = 10,
  maxMs = 5000,
): Promise<RawResponse> {
  return new Promise((resolve) => {
    const startedAt = performance.now();
    const socket = connect(port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let isSettled = false;
    const timer = setTimeout(() => finish(false), maxMs);

    function finish(isClosedByServer: boolean): void {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = received.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(text)?.[1];
      resolve({
        status: status === undefined ? null : Number(status),
        head: split < 0 ? text : text.slice(0, split),
        body: split < 0 ? '' : text.slice(split + 4),
        isClosedByServer,
        elapsedMs: performance.now() - startedAt,
      });
    }

    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const text = received.toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, split))?.[1];
      if (split >= 0 && length !== undefined && received.byteLength >= split + 4 + Number(length))
        finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', () => {
      void (async () => {
        for (const part of parts) {
          if (isSettled || socket.destroyed) return;
          socket.write(part);
          await new Promise((done) => setTimeout(done, pauseMs));
        }
      })();
    });
  });
}

/** One chunk of a `Transfer-Encoding: chunked` body. */
export function chunked(text: string): string {
  return `${Buffer.byteLength(text).toString(16)}\r\n${text}\r\n`;
}

export function headerOf(raw: RawResponse, name: string): string | undefined {
  return new RegExp(`\\r\\n${name}: *([^\\r]*)`, 'i').exec(raw.head)?.[1];
}
