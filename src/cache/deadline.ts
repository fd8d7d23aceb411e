/** A Redis command did not answer within the request-path budget (it may still run later). */
export class DeadlineError extends Error {
  constructor(ms: number) {
    super(`No answer within ${ms} ms`);
    this.name = 'DeadlineError';
  }
}

/**
 * Resolves or rejects like `promise`, but rejects with DeadlineError after `ms`. The
 * command itself is not cancelled (Redis cannot take one back); its late outcome is ignored
 * here, so callers that must know it (invalidations) keep their own handle on `promise`.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new DeadlineError(ms)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
