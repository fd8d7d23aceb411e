/**
 * A TCP proxy between the API and PostgreSQL that can cut one connection exactly at a
 * transaction's COMMIT, to produce a commit whose outcome the API cannot know.
 *
 * It reads the frontend side of the wire protocol: the startup message (no type byte), then
 * typed messages (1 byte type, int32 length including itself). node-postgres sends a query
 * without parameters, such as Kysely's `commit`, as a simple query: type 'Q', the SQL text,
 * a NUL. Everything else passes through untouched.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * `after-commit`: the COMMIT goes to the server, which commits; its reply is dropped and
 * both sockets are closed, so the API sees the connection drop with no answer.
 * `before-commit`: the connection is closed instead of forwarding COMMIT; the server rolls
 * the transaction back.
 */
export type CutMode = 'after-commit' | 'before-commit';

interface Armed {
  mode: CutMode;
  cut: () => void;
}

export class PgCommitProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #armed: Armed | null = null;

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Listens on a free port of 127.0.0.1 and forwards every connection to `target`. */
  static async start(target: { host: string; port: number }): Promise<PgCommitProxy> {
    const server = createServer();
    const proxy = new PgCommitProxy(server);
    server.on('connection', (client) => proxy.#relay(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  /**
   * Cuts the next COMMIT that any connection sends, once. The promise settles when it did;
   * until then (and after) the proxy only forwards.
   */
  armOnce(mode: CutMode): Promise<void> {
    return new Promise((resolve) => {
      this.#armed = { mode, cut: resolve };
    });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #relay(client: Socket, target: { host: string; port: number }): void {
    const server = connect(target.port, target.host);
    this.#track(client);
    this.#track(server);
    let pending = Buffer.alloc(0);
    let isStarted = false;
    let isSwallowingReply = false;

    const closeBoth = () => {
      client.destroy();
      server.destroy();
    };

    server.on('data', (chunk: Buffer) => {
      if (isSwallowingReply) {
        closeBoth();
        return;
      }
      client.write(chunk);
    });

    client.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const size = isStarted ? messageSize(pending) : startupSize(pending);
        if (size === null || pending.byteLength < size) return;

        const message = pending.subarray(0, size);
        pending = pending.subarray(size);
        const armed = this.#armed;
        if (isStarted && armed !== null && isCommit(message)) {
          this.#armed = null;
          armed.cut();
          if (armed.mode === 'before-commit') {
            closeBoth();
            return;
          }
          isSwallowingReply = true;
        }
        isStarted = true;
        server.write(message);
      }
    });
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
    // A reset on one side while the other is closed: expected here.
    socket.on('error', () => socket.destroy());
  }
}

/** The startup message: int32 length (itself included), no type byte. */
function startupSize(buffer: Buffer): number | null {
  return buffer.byteLength < 4 ? null : buffer.readInt32BE(0);
}

/** A typed message: 1 type byte, then int32 length of the rest (itself included). */
function messageSize(buffer: Buffer): number | null {
  return buffer.byteLength < 5 ? null : 1 + buffer.readInt32BE(1);
}

function isCommit(message: Buffer): boolean {
  if (message[0] !== 0x51) return false; // 'Q'

  const text = message.subarray(5, message.byteLength - 1).toString('utf8');
  return text.trim().toLowerCase() === 'commit';
}
