import type { HttpResponse } from 'uWebSockets.js';
import type { ErrorCode } from '../domain/errors.js';
import { writeProblem, type ProblemOptions } from './responses.js';

/**
 * One asynchronous request/response pair. uWS forbids touching a response after the
 * client aborted or after it was ended, so every write goes through `respond`, which
 * checks both, corks the writes into one syscall and stops the deadline timer.
 */
export class Exchange {
  readonly res: HttpResponse;
  readonly traceId: string;
  readonly startedAt: number;
  #isFinished = false;
  #isReadingBody = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(res: HttpResponse, traceId: string, deadlineMs: number) {
    this.res = res;
    this.traceId = traceId;
    this.startedAt = performance.now();
    res.onAborted(() => this.#finish());
    this.#timer = setTimeout(() => this.#expire(), deadlineMs);
  }

  /** True once the response was written or the client went away. */
  get isFinished(): boolean {
    return this.#isFinished;
  }

  set isReadingBody(value: boolean) {
    this.#isReadingBody = value;
  }

  /** Runs `write` corked if the response is still open; returns whether it ran. */
  respond(write: (res: HttpResponse) => void): boolean {
    if (this.#isFinished) return false;

    this.#finish();
    this.res.cork(() => write(this.res));
    return true;
  }

  problem(code: ErrorCode, options: ProblemOptions): boolean {
    return this.respond((res) => writeProblem(res, this.traceId, code, options));
  }

  #finish(): void {
    this.#isFinished = true;
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }

  #expire(): void {
    this.#timer = null;
    // A client still sending its body is cut off (slowloris, trickled uploads); a request
    // whose processing overran is answered 503 so the client may retry.
    if (this.#isReadingBody) {
      this.problem('REQUEST_TIMEOUT', {
        detail: 'The request body was not received in time.',
        closeConnection: true,
      });
    } else {
      this.problem('DEADLINE_EXCEEDED', {
        detail: 'The request could not be completed in time.',
        headers: [['Retry-After', '1']],
      });
    }
  }
}
