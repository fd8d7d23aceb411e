/**
 * A plain TCP relay that a test can switch off and on again on the same port, to take a
 * database away from the API and give it back without restarting either side.
 */
import { type Server, type Socket, connect, createServer } from 'node:net';

export interface ProxyTarget {
  host: string;
  port: number;
}

export class TcpProxy {
  readonly #target: ProxyTarget;
  readonly #sockets = new Set<Socket>();
  #server: Server | null = null;
  #port = 0;
  #isHolding = false;

  private constructor(target: ProxyTarget) {
    this.#target = target;
  }

  /** Listens on a free port of 127.0.0.1 and relays every connection to `target`. */
  static async start(target: ProxyTarget): Promise<TcpProxy> {
    const proxy = new TcpProxy(target);
    await proxy.#listen(0);
    return proxy;
  }

  get port(): number {
    return this.#port;
  }

  /**
   * Stops listening and destroys every relayed connection: connections in use drop, and
   * new ones are refused (ECONNREFUSED), as when the database server is down.
   */
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Goes silent without closing anything: connections stay open and new ones are accepted,
   * but no byte passes either way, as when a partition drops packets and nothing ever says
   * the database is gone.
   */
  hold(): void {
    this.#isHolding = true;
    for (const socket of this.#sockets) {
      socket.unpipe();
      socket.pause();
    }
  }

  /**
   * Relays again on the port it had. Connections that were held are ended, as TCP would
   * have given up on them across a long partition.
   */
  async restore(): Promise<void> {
    if (this.#isHolding) {
      this.#isHolding = false;
      for (const socket of this.#sockets) socket.destroy();
    }
    if (this.#server === null) await this.#listen(this.#port);
  }

  close(): Promise<void> {
    return this.cut();
  }

  async #listen(port: number): Promise<void> {
    const server = createServer((client) => this.#relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    this.#port = address.port;
    this.#server = server;
  }

  #relay(client: Socket): void {
    if (this.#isHolding) {
      this.#sockets.add(client);
      client.pause();
      client.on('close', () => this.#sockets.delete(client));
      client.on('error', () => client.destroy());
      return;
    }

    const upstream = connect(this.#target.port, this.#target.host);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.#sockets.add(socket);
      socket.pipe(other);
      // Either side closing or failing ends the pair, as one TCP connection would.
      socket.on('close', () => {
        this.#sockets.delete(socket);
        other.destroy();
      });
      socket.on('error', () => socket.destroy());
    }
  }
}
