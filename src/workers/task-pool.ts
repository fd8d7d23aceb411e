import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { TaskRequest, TaskResponse, WorkerSettings } from './protocol.js';

export interface TaskPoolOptions {
  workers: number;
  settings: WorkerSettings;
  /** Tasks allowed to wait for a worker before new ones are refused (overload: 503). */
  maxQueue?: number;
  /**
   * Told about an error a worker threw outside any task (piscina's 'error' event, which
   * would crash the process unheard); piscina replaces the worker.
   */
  onError?: (error: unknown) => void;
}

export class PoolOverloadedError extends Error {
  constructor(options?: ErrorOptions) {
    super('The worker pool queue is full', options);
    this.name = 'PoolOverloadedError';
  }
}

/**
 * The piscina pool that runs database work and password hashing. A worker runs several
 * tasks at once because most of a task is waiting on the database; `atomics: 'async'`
 * keeps an idle worker's event loop turning so its connection pool timers and sockets work.
 */
export class TaskPool {
  readonly #pool: Piscina<TaskRequest, TaskResponse>;

  constructor(options: TaskPoolOptions) {
    this.#pool = new Piscina({
      filename: fileURLToPath(new URL('./task-worker.js', import.meta.url)),
      minThreads: options.workers,
      maxThreads: options.workers,
      concurrentTasksPerWorker: 8,
      atomics: 'async',
      idleTimeout: Infinity,
      maxQueue: options.maxQueue ?? options.workers * 512,
      workerData: options.settings,
    });
    const onError = options.onError ?? (() => undefined);
    this.#pool.on('error', onError);
  }

  async run(task: TaskRequest): Promise<TaskResponse> {
    try {
      return await this.#pool.run(task);
    } catch (error) {
      if (isQueueFull(error)) throw new PoolOverloadedError({ cause: error });
      throw error;
    }
  }

  /** Tasks waiting for a worker. */
  get queueSize(): number {
    return this.#pool.queueSize;
  }

  get utilization(): number {
    return this.#pool.utilization;
  }

  get threadCount(): number {
    return this.#pool.threads.length;
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

function isQueueFull(error: unknown): boolean {
  return error instanceof Error && /queue is at limit/i.test(error.message);
}
