import { createServer, type Server } from 'node:http';

/**
 * A stand-in OTLP/HTTP collector for the traced scenario: accepts POST /v1/traces (and
 * /v1/metrics, /v1/logs), counts requests and bytes, and answers 200 with an empty
 * Export*ServiceResponse (an empty protobuf message, or `{}` for JSON), so the server's
 * exporter pays its full cost without a real collector.
 */
export class OtlpSink {
  readonly #server: Server;
  #port = 0;
  exports = 0;
  bytes = 0;

  constructor() {
    this.#server = createServer((req, res) => {
      let size = 0;
      req.on('data', (chunk: Buffer) => (size += chunk.length));
      req.on('end', () => {
        if (req.method === 'POST' && (req.url ?? '').startsWith('/v1/')) {
          if (req.url?.startsWith('/v1/traces') === true) {
            this.exports++;
            this.bytes += size;
          }
          const isJson = (req.headers['content-type'] ?? '').includes('json');
          res.writeHead(200, {
            'content-type': isJson ? 'application/json' : 'application/x-protobuf',
          });
          res.end(isJson ? '{}' : '');
          return;
        }
        res.writeHead(404).end();
      });
    });
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => {
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : 0;
        resolve();
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.closeAllConnections();
      this.#server.close(() => resolve());
    });
  }
}
