import { fileURLToPath } from 'node:url';

import { pino, type Logger } from 'pino';

import { reportSeqFailures, type SeqTarget, SeqStream } from './seq-stream.js';

export type { Logger } from 'pino';
export type { SeqTarget } from './seq-stream.js';

/** Field names that hold credentials or secrets, redacted at any of the first three depths. */
const SECRET_FIELDS = [
  'password',
  'currentPassword',
  'newPassword',
  'passwordHash',
  'password_hash',
  'hash',
  'token',
  'accessToken',
  'refreshToken',
  'authorization',
  'cookie',
  'set-cookie',
  'secret',
  'apiKey',
  'seqApiKey',
];

/**
 * Paths that must never reach a log line, whatever a caller passes in: credentials in
 * bodies and headers, stored password hashes, API keys. pino's redaction is path-based
 * (no recursive wildcard), so each name is listed at the top level and one and two levels
 * down (`body.password`, `req.body.password`, `req.headers.authorization`).
 */
const REDACTED_PATHS = SECRET_FIELDS.flatMap((name) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `["${name}"]`;
  const child = key.startsWith('[') ? key : `.${key}`;
  return [key, `*${child}`, `*.*${child}`];
});

export interface LoggerOptions {
  level: string;
  /** `main` or `worker`; lets a reader tell which thread wrote a line. */
  thread: 'main' | 'worker';
  /** Where to write; stdout (fd 1) by default. Tests pass a stream to capture lines. */
  destination?: pino.DestinationStream;
  /**
   * Also ship every line to Seq (SEQ_URL). On the main thread the lines go through a pino
   * transport thread; a worker posts them itself (it is off the HTTP thread already).
   */
  seq?: SeqTarget | null;
  /** Fields merged into every line, e.g. the running task's trace and span ids. */
  context?: () => Record<string, string>;
}

/** The outputs behind each logger, for `closeLogger` and `flushSeq`. */
interface LogOutputs {
  base: pino.DestinationStream;
  seq: SeqStream | TransportStream | null;
}

/** pino's transport stream (thread-stream), as far as closing it goes. */
interface TransportStream extends pino.DestinationStream {
  end(): void;
  once(event: 'close', listener: () => void): unknown;
}
const outputs = new WeakMap<Logger, LogOutputs>();

const SEQ_TRANSPORT = fileURLToPath(new URL('./seq-transport.js', import.meta.url));

/** JSON logger with the project's redaction rules. Fields first, a constant message second. */
export function createLogger(options: LoggerOptions): Logger {
  const base = options.destination ?? bufferedStdout();
  const seq = options.seq ?? null;
  const pinoOptions: pino.LoggerOptions = {
    level: options.level,
    base: { service: 'eventflow', thread: options.thread },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  };
  if (options.context !== undefined) pinoOptions.mixin = options.context;
  if (seq === null || options.level === 'silent') {
    const logger = pino(pinoOptions, base);
    outputs.set(logger, { base, seq: null });
    return logger;
  }

  const seqStream =
    options.thread === 'main'
      ? (pino.transport({ target: SEQ_TRANSPORT, options: seq }) as TransportStream)
      : new SeqStream(seq, reportSeqFailures());
  const streams = pino.multistream([
    { level: 'trace', stream: base },
    { level: 'trace', stream: seqStream },
  ]);
  const logger = pino(pinoOptions, streams);
  outputs.set(logger, { base, seq: seqStream });
  return logger;
}

/** How long a line may wait in the stdout buffer at the most. */
const STDOUT_FLUSH_MS = 250;

/**
 * stdout, written in batches: lines gather until 4 KiB before a write, and a timer writes
 * what is left every STDOUT_FLUSH_MS. One write per line cost 11% of the server's CPU in a
 * profile of cached reads logging 9 000 completion lines a second (the 10% that are traced).
 * pino flushes the buffer when the process exits; a crash loses at most the last 4 KiB.
 */
function bufferedStdout(): pino.DestinationStream {
  const destination = pino.destination({ fd: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Destroyed at shutdown, after its last flush: nothing is left to write.
      clearInterval(timer);
    }
  }, STDOUT_FLUSH_MS);
  timer.unref();
  return destination;
}

/**
 * Flushes a logger: stdout, and for a Seq-shipping logger everything queued for Seq. On the
 * main thread this ends the Seq transport thread (its last batch is sent as it ends), so
 * call it last, at shutdown; later lines still reach stdout.
 */
export async function closeLogger(log: Logger): Promise<void> {
  const out = outputs.get(log);
  if (out === undefined) return;

  await flushDestination(out.base);
  if (out.seq === null) return;
  if (out.seq instanceof SeqStream) {
    await out.seq.flush();
    return;
  }

  const seq = out.seq;
  out.seq = null;
  const streams = (log as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as {
    streams: { id: number; stream: unknown }[];
    remove(id: number): void;
  };
  const entry = streams.streams.find((candidate) => candidate.stream === seq);
  if (entry !== undefined) streams.remove(entry.id);
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 5000);
    seq.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    seq.end();
  });
}

/** Sends what a worker logger holds for Seq now, keeping it open (the worker may log on). */
export async function flushSeq(log: Logger): Promise<void> {
  const seq = outputs.get(log)?.seq;
  if (seq instanceof SeqStream) await seq.flush();
}

function flushDestination(destination: pino.DestinationStream): Promise<void> {
  const flush = (destination as { flush?: (done: (error?: Error) => void) => void }).flush;
  if (typeof flush !== 'function') return Promise.resolve();
  return new Promise((resolve) => flush.call(destination, () => resolve()));
}
