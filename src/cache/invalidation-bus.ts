import type { Redis } from 'ioredis';
import type { Logger } from '../telemetry/logger.js';
import { EPOCH_CHANNEL, heartbeatChannelOf, INVALIDATION_CHANNEL } from './redis-keys.js';

export interface InvalidationBusOptions {
  /** Opens a fresh subscriber connection that does not reconnect by itself. */
  connect: () => Redis;
  instanceId: string;
  /** PUBLISH on the command connection: receivers, or null when Redis did not answer. */
  publish: (channel: string, message: string) => Promise<number | null>;
  /** Standalone Redis counts every subscriber in a PUBLISH reply (Cluster: one node's). */
  isStandalone: boolean;
  /** Time between heartbeats (1000 ms). */
  heartbeatIntervalMs?: number;
  /** A published heartbeat not received within this declares the channel lost (2000 ms). */
  heartbeatTimeoutMs?: number;
  log: Logger;
  /** Subscribed (again): messages from now on arrive; earlier ones may have been lost. */
  onUp: () => void;
  /** Not subscribed, or not proven to be: messages may be lost from now on. */
  onDown: () => void;
  /** Another instance invalidated `key`. */
  onInvalidation: (key: string) => void;
  /** An instance (this one included) replaced the epoch with `epoch`. */
  onEpochAnnounced: (epoch: string) => void;
}

const MAX_BACKOFF_MS = 2000;

/**
 * The subscriber side of cross-instance invalidation: one dedicated connection subscribed to
 * the invalidation and epoch channels. It is "up" only from a confirmed SUBSCRIBE until the
 * connection closes or a heartbeat goes missing; the owner clears its near cache on every
 * "up" (messages sent while it was down are lost) and reads Redis only while it is up (the
 * epoch could change unseen otherwise). The heartbeat, a PUBLISH to this instance's own
 * channel, catches a subscription that died silently (half-open TCP, a proxy dropping it).
 */
export class InvalidationBus {
  readonly #options: InvalidationBusOptions;
  readonly #heartbeatChannel: string;
  readonly #heartbeatTimeoutMs: number;
  readonly #timer: NodeJS.Timeout;
  #client: Redis | null = null;
  /** Advanced for every connection; events of an older one are ignored. */
  #connection = 0;
  #isUp = false;
  #isClosed = false;
  #attempts = 0;
  #subscribeTimer: NodeJS.Timeout | null = null;
  #reconnectTimer: NodeJS.Timeout | null = null;
  #sentBeats = 0;
  #receivedBeat = 0;
  #awaitedBeat: number | null = null;
  #awaitedSince = 0;
  /** Our own invalidations whose message we wait to see delivered, by token. */
  readonly #deliveries = new Map<string, () => void>();

  constructor(options: InvalidationBusOptions) {
    this.#options = options;
    this.#heartbeatChannel = heartbeatChannelOf(options.instanceId);
    this.#heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 2000;
    this.#timer = setInterval(() => this.#beat(), options.heartbeatIntervalMs ?? 1000);
    this.#timer.unref();
    this.#open();
  }

  get isUp(): boolean {
    return this.#isUp;
  }

  /**
   * Resolves when our own invalidation message carrying `token` comes back on this
   * subscription, or at once if the channel is down. Redis writes a message to all its
   * subscribers in one pass, so once ours is back, the other instances' copies have left
   * Redis too. `cancel` drops the wait (deadline passed).
   */
  awaitDelivery(token: string): { delivered: Promise<void>; cancel: () => void } {
    if (!this.#isUp) return { delivered: Promise.resolve(), cancel: () => undefined };

    const delivered = new Promise<void>((resolve) => this.#deliveries.set(token, resolve));
    return { delivered, cancel: () => this.#deliveries.delete(token) };
  }

  close(): void {
    this.#isClosed = true;
    clearInterval(this.#timer);
    if (this.#reconnectTimer !== null) clearTimeout(this.#reconnectTimer);
    this.#drop(this.#connection, null);
  }

  #open(): void {
    const connection = ++this.#connection;
    const client = this.#options.connect();
    this.#client = client;
    this.#subscribeTimer = setTimeout(
      () => this.#drop(connection, new Error('subscribe timed out')),
      this.#heartbeatTimeoutMs,
    );
    this.#subscribeTimer.unref();

    client.on('error', (error: unknown) => {
      this.#options.log.debug({ err: error }, 'redis cache subscriber error');
    });
    client.on('close', () => this.#drop(connection, new Error('subscriber connection closed')));
    client.on('message', (channel: string, message: string) => {
      if (connection === this.#connection) this.#receive(channel, message);
    });
    client.once('ready', () => {
      client.subscribe(INVALIDATION_CHANNEL, EPOCH_CHANNEL, this.#heartbeatChannel).then(
        () => this.#subscribed(connection),
        (error: unknown) => this.#drop(connection, error),
      );
    });
  }

  #subscribed(connection: number): void {
    if (connection !== this.#connection) return;

    this.#clearSubscribeTimer();
    this.#attempts = 0;
    this.#awaitedBeat = null;
    this.#isUp = true;
    this.#options.log.info({}, 'redis cache channel up');
    this.#options.onUp();
  }

  /** Ends `connection` (if still current) and schedules the next one. */
  #drop(connection: number, cause: unknown): void {
    if (connection !== this.#connection) return;

    this.#connection++;
    this.#clearSubscribeTimer();
    for (const resolve of this.#deliveries.values()) resolve();
    this.#deliveries.clear();
    this.#client?.disconnect();
    this.#client = null;
    if (this.#isUp) {
      this.#isUp = false;
      if (!this.#isClosed) this.#options.log.warn({ err: cause }, 'redis cache channel lost');
      this.#options.onDown();
    }
    if (this.#isClosed) return;

    const delay = Math.min(100 * 2 ** this.#attempts, MAX_BACKOFF_MS);
    this.#attempts++;
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = null;
      this.#open();
    }, delay);
    this.#reconnectTimer.unref();
  }

  #receive(channel: string, message: string): void {
    if (channel === this.#heartbeatChannel) {
      this.#receivedBeat = Math.max(this.#receivedBeat, Number(message));
      if (this.#awaitedBeat !== null && this.#awaitedBeat <= this.#receivedBeat) {
        this.#awaitedBeat = null;
      }
      return;
    }

    // Invalidations are `<instance id> <token> <key>`, epochs `<instance id> <epoch>`. Our
    // own invalidations were applied before they were sent; only the writer waits for them.
    const { instanceId } = this.#options;
    const isOwn = message.startsWith(instanceId) && message.charCodeAt(instanceId.length) === 32;
    if (channel === EPOCH_CHANNEL) {
      // Our own too: a replacement that timed out here may still have run later.
      const space = message.indexOf(' ');
      if (space > 0) this.#options.onEpochAnnounced(message.slice(space + 1));
      return;
    }
    if (channel !== INVALIDATION_CHANNEL) return;

    const first = message.indexOf(' ');
    const second = message.indexOf(' ', first + 1);
    if (first <= 0 || second <= first) return;
    if (isOwn) {
      this.#deliver(message.slice(first + 1, second));
      return;
    }
    this.#options.onInvalidation(message.slice(second + 1));
  }

  #deliver(token: string): void {
    const resolve = this.#deliveries.get(token);
    if (resolve === undefined) return;
    this.#deliveries.delete(token);
    resolve();
  }

  #beat(): void {
    if (!this.#isUp) return;

    const connection = this.#connection;
    if (this.#awaitedBeat !== null) {
      if (Date.now() - this.#awaitedSince > this.#heartbeatTimeoutMs) {
        this.#drop(connection, new Error('heartbeat not received'));
      }
      return;
    }

    const beat = ++this.#sentBeats;
    const sentAt = Date.now();
    void this.#options.publish(this.#heartbeatChannel, String(beat)).then((receivers) => {
      // No answer says nothing about the subscription (the command path has its breaker).
      if (receivers === null || connection !== this.#connection) return;
      if (beat <= this.#receivedBeat) return;
      if (this.#options.isStandalone && receivers === 0) {
        this.#drop(connection, new Error('subscription missing on the server'));
        return;
      }
      this.#awaitedBeat = beat;
      this.#awaitedSince = sentAt;
    });
  }

  #clearSubscribeTimer(): void {
    if (this.#subscribeTimer === null) return;
    clearTimeout(this.#subscribeTimer);
    this.#subscribeTimer = null;
  }
}
