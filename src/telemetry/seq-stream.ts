import { Writable } from 'node:stream';

import { createStream, type PinoSeqStream } from 'pino-seq';

export interface SeqTarget {
  /** Seq's base URL (SEQ_URL); events go to `<url>/api/events/raw`. */
  url: string;
  /** Sent as X-Seq-ApiKey (SEQ_API_KEY). */
  apiKey: string | null;
}

/** Our lines carry level labels (`"level":"warn"`); pino-seq maps pino's numbers to Seq's. */
const LEVEL_NUMBERS: Record<string, string> = {
  trace: '10',
  debug: '20',
  info: '30',
  warn: '40',
  error: '50',
  fatal: '60',
};
const LEVEL_LABEL = /"level":"(trace|debug|info|warn|error|fatal)"/;

/**
 * A stream of pino lines to Seq through pino-seq, which batches events and posts them with
 * fetch (never blocking the event loop). `trace_id`/`span_id` become Seq's trace and span
 * ids, so Seq links each line to its trace.
 */
export class SeqStream extends Writable {
  readonly #seq: PinoSeqStream;
  #partial = '';

  constructor(target: SeqTarget, onError: (error: unknown) => void) {
    super();
    this.#seq = createStream({
      serverUrl: target.url,
      ...(target.apiKey === null ? {} : { apiKey: target.apiKey }),
      maxBatchingTime: 1000,
      onError,
    });
  }

  /**
   * pino-seq parses each write as one JSON event, but a transport thread hands over whatever
   * the ring buffer holds: several lines, or the start of one. Split, and keep the tail.
   */
  override _write(
    chunk: Buffer | string,
    _encoding: string,
    done: (error?: Error | null) => void,
  ): void {
    const lines = (this.#partial + chunk.toString()).split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') continue;
      this.#seq.write(
        line.replace(LEVEL_LABEL, (_, label: string) => `"level":${LEVEL_NUMBERS[label]}`),
      );
    }
    done();
  }

  /** Sends what is queued now; resolves when Seq has answered. */
  async flush(): Promise<void> {
    await this.#seq.flush();
  }

  override _final(done: (error?: Error | null) => void): void {
    this.#seq.end(() => done());
  }
}

/** Seq down means a failure per batch; one stderr line a minute says enough. */
export function reportSeqFailures(): (error: unknown) => void {
  let reportedAt = 0;
  return (error) => {
    if (Date.now() - reportedAt < 60_000) return;
    reportedAt = Date.now();
    process.stderr.write(`Seq log shipping failed: ${String(error)}\n`);
  };
}
