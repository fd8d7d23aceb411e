import type { HttpResponse } from 'uWebSockets.js';
import { ERROR_CATALOGUE, type ErrorCode } from '../domain/errors.js';
import type { RequestObservation } from '../telemetry/request-telemetry.js';
import { writeProblem, type ProblemOptions } from './responses.js';

/**
 * One asynchronous request/response pair. uWS forbids touching a response after the
 * client aborted or after it was ended, so every write goes through `respond`, which
 * checks both, corks the writes into one syscall and stops the deadline timer. The status
 * written and the time are noted on the request's telemetry observation.
 */
export class Exchange {
  readonly res: HttpResponse;
  readonly traceId: string;
  readonly observation: RequestObservation;
  #isFinished = false;
  #isReadingBody = false;
  #timer: NodeJS.Timeout | null = null;

  constructor(res: HttpResponse, observation: RequestObservation, deadlineMs: number) {
    this.res = res;
    this.traceId = observation.traceId;
    this.observation = observation;
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

  /**
   * Runs `write` (which returns the status it wrote) corked if the response is still open;
   * returns whether it ran.
   */
  respond(write: (res: HttpResponse) => number): boolean {
    if (this.#isFinished) return false;

    this.#finish();
    this.res.cork(() => {
      this.observation.status = write(this.res);
    });
    this.observation.endedAt = performance.now();
    return true;
  }

  problem(code: ErrorCode, options: ProblemOptions): boolean {
    return this.respond((res) => {
      writeProblem(res, this.traceId, code, options);
      return ERROR_CATALOGUE[code].status;
    });
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
