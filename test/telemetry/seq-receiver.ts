import type { IncomingHttpHeaders } from 'node:http';
import { Worker } from 'node:worker_threads';

/** One event as Seq stores it, whichever of its two raw formats it came in. */
export interface SeqEvent {
  level: string;
  message: string;
  traceId: string | null;
  spanId: string | null;
  properties: Record<string, unknown>;
  /** The event as posted, for leak checks. */
  raw: string;
}

/** What the receiver thread posts back. */
export type SeqReceiverMessage =
  | { type: 'listening'; port: number }
  | { type: 'batch'; headers: IncomingHttpHeaders; events: SeqEvent[] }
  | { type: 'settled'; id: number };

/**
 * A stand-in for Seq's raw ingestion API (`POST /api/events/raw`, JSON batches and CLEF),
 * served from its own thread as the real Seq is from its own process: the API's shutdown
 * may block its main thread while the last batch is posted, and must not block Seq too.
 */
export class SeqReceiver {
  readonly events: SeqEvent[] = [];
  readonly headers: IncomingHttpHeaders[] = [];
  readonly #worker: Worker;
  readonly #settling = new Map<number, () => void>();
  readonly #listening: Promise<number>;
  #port = 0;
  #nextId = 0;

  constructor() {
    this.#worker = new Worker(new URL('./seq-receiver-thread.js', import.meta.url));
    this.#listening = new Promise((resolve) => {
      this.#worker.on('message', (message: SeqReceiverMessage) => {
        if (message.type === 'listening') resolve(message.port);
        else if (message.type === 'batch') {
          this.headers.push(message.headers);
          this.events.push(...message.events);
        } else this.#settling.get(message.id)?.();
      });
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async listen(): Promise<void> {
    this.#port = await this.#listening;
  }

  /** Resolves once every batch the receiver has accepted so far is in `events`. */
  settle(): Promise<void> {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#settling.set(id, resolve);
      this.#worker.postMessage({ type: 'settle', id });
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
