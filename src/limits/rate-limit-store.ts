/** A quota: at most `limit` units in a window of `windowMs` opened by the first unit. */
export interface RateQuota {
  /** Policy name, as shown in the RateLimit and RateLimit-Policy headers. */
  name: string;
  limit: number;
  windowMs: number;
}

/** The state of one subject's window after a unit was asked for. */
export interface RateDecision {
  isAllowed: boolean;
  /** Units left in the window. */
  remaining: number;
  /** Milliseconds until the window closes and the quota is whole again. */
  resetMs: number;
}

/**
 * Fixed-window counters shared by whoever uses the same store: one process (memory) or every
 * instance (Redis). A window opens at its subject's first unit and closes `windowMs` later,
 * so a subject gets at most `limit` units per window and at most twice that across the edge
 * of two windows.
 */
export interface RateLimitStore {
  /** Counts one unit for `subject` under `quota` and says whether it fits. */
  consume(quota: RateQuota, subject: string): Promise<RateDecision>;
  /** Takes back one unit counted earlier (an attempt that turned out not to count). */
  refund(quota: RateQuota, subject: string): Promise<void>;
  close(): Promise<void>;
}
