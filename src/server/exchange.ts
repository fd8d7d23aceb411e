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
  /** Epoch ms at which the request is cut off; work for it need not go on past it. */
  readonly deadlineAt: number;
  #isFinished = false;
  /** Set while the body is being read: what to run if the request ends before it arrives. */
  #onAbandonedBody: (() => void) | null = null;
  #timer: NodeJS.Timeout | null = null;

  constructor(res: HttpResponse, observation: RequestObservation, deadlineMs: number) {
    this.res = res;
    this.traceId = observation.traceId;
    this.observation = observation;
    this.deadlineAt = Date.now() + deadlineMs;
    res.onAborted(() => {
      this.#finish();
      this.#abandonBody();
    });
    this.#timer = setTimeout(() => this.#expire(), deadlineMs);
  }

  /** True once the response was written or the client went away. */
  get isFinished(): boolean {
    return this.#isFinished;
  }

  /**
   * Marks the body as being read. uWS never calls the body reader again once the client has
   * gone or the deadline has cut it off, so `onAbandoned` then runs instead, once, to close
   * the request's books (in-flight count, telemetry).
   */
  startReadingBody(onAbandoned: () => void): void {
    this.#onAbandonedBody = onAbandoned;
  }

  /** The body arrived (or was refused as too large): the request goes on normally. */
  finishReadingBody(): void {
    this.#onAbandonedBody = null;
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

  #abandonBody(): void {
    const onAbandoned = this.#onAbandonedBody;
    this.#onAbandonedBody = null;
    onAbandoned?.();
  }

  #expire(): void {
    this.#timer = null;
    // A client still sending its body is cut off (slowloris, trickled uploads); a request
    // whose processing overran is answered 503 so the client may retry.
    if (this.#onAbandonedBody !== null) {
      this.problem('REQUEST_TIMEOUT', {
        detail: 'The request body was not received in time.',
        closeConnection: true,
      });
      this.#abandonBody();
    } else {
      this.problem('DEADLINE_EXCEEDED', {
        detail: 'The request could not be completed in time.',
        headers: [['Retry-After', '1']],
      });
    }
  }
}
