import { BroadcastChannel } from 'node:worker_threads';

/**
 * Piscina has no per-worker shutdown hook, so before the pool closes the main thread asks
 * every worker, over a BroadcastChannel, to send what its Seq stream still holds, and waits
 * for their answers (or a timeout).
 */
const CHANNEL = 'eventflow:flush-worker-logs';

type FlushMessage = { type: 'flush'; id: number } | { type: 'flushed'; id: number };

/** In a worker: answer flush requests by running `flush`. */
export function answerLogFlushes(flush: () => Promise<void>): void {
  const channel = new BroadcastChannel(CHANNEL);
  channel.unref();
  channel.onmessage = (event) => {
    const message = (event as { data: FlushMessage }).data;
    if (message.type !== 'flush') return;

    const done = (): void => channel.postMessage({ type: 'flushed', id: message.id });
    flush().then(done, done);
  };
}

/** On the main thread: asks `workers` workers to flush and waits for them (at most `timeoutMs`). */
export function flushWorkerLogs(workers: number, timeoutMs = 3000): Promise<void> {
  const channel = new BroadcastChannel(CHANNEL);
  const id = Date.now();
  let answered = 0;

  return new Promise<void>((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      channel.close();
      resolve();
    };
    const timer = setTimeout(finish, timeoutMs);
    channel.onmessage = (event) => {
      const message = (event as { data: FlushMessage }).data;
      if (message.type === 'flushed' && message.id === id && ++answered >= workers) finish();
    };
    channel.postMessage({ type: 'flush', id } satisfies FlushMessage);
  });
}
