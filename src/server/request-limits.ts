import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import type { Cluster, Redis } from 'ioredis';
import type { LimitsConfig } from '../config.js';
import { normalizeEmail } from '../domain/rules.js';
import { ClientRateLimiter } from '../limits/client-rate-limiter.js';
import { HashingGate } from '../limits/hashing-gate.js';
import { MemoryRateLimitStore } from '../limits/memory-rate-limit-store.js';
import type { RateDecision, RateLimitStore, RateQuota } from '../limits/rate-limit-store.js';
import { RedisRateLimitStore } from '../limits/redis-rate-limit-store.js';
import type { Logger } from '../telemetry/logger.js';

/** What a login may do: go ahead (and report its outcome), or be refused with these headers. */
export type LoginAdmission =
  | { isAllowed: true; account: string; client: string }
  | { isAllowed: false; headers: [string, string][] };

/** An admitted login attempt. */
export type LoginAttempt = Extract<LoginAdmission, { isAllowed: true }>;

export interface RequestLimitsOptions {
  config: LimitsConfig;
  /** Shared store for the counters when Redis is configured; closed with the limits. */
  redis: { client: Redis | Cluster; commandTimeoutMs: number } | null;
  log: Logger;
}

/**
 * The server's limits on clients: failed logins per account and per client address, the
 * optional per-client request limit, and the gate in front of password hashing. Counters
 * live in Redis when it is configured (shared by every instance), in memory otherwise.
 */
export class RequestLimits {
  readonly hashing: HashingGate;
  /** Null when CLIENT_RATE_LIMIT is 0. */
  readonly clients: ClientRateLimiter | null;
  readonly #store: RateLimitStore;
  readonly #account: RateQuota;
  readonly #address: RateQuota;
  readonly #trustProxyHops: number;
  readonly #redis: Redis | Cluster | null;

  constructor(options: RequestLimitsOptions) {
    const { config, redis, log } = options;
    const windowMs = config.loginWindowSeconds * 1000;
    this.#account = { name: 'login-account', limit: config.loginAccountLimit, windowMs };
    this.#address = { name: 'login-address', limit: config.loginAddressLimit, windowMs };
    this.#trustProxyHops = config.trustProxyHops;
    this.#redis = redis?.client ?? null;
    this.#store =
      redis === null
        ? new MemoryRateLimitStore()
        : new RedisRateLimitStore({ ...redis, log: log.child({ component: 'limits' }) });
    this.hashing = new HashingGate({
      concurrency: config.hashConcurrency,
      queueLimit: config.hashQueueLimit,
    });
    this.clients =
      config.clientRateLimit === 0
        ? null
        : new ClientRateLimiter({
            quota: {
              name: 'client',
              limit: config.clientRateLimit,
              windowMs: config.clientRateWindowSeconds * 1000,
            },
            redis: redis?.client ?? null,
            commandTimeoutMs: redis?.commandTimeoutMs ?? 0,
            log: log.child({ component: 'limits' }),
          });
  }

  /**
   * The client's address: the socket peer, or with TRUST_PROXY_HOPS = n the address n hops
   * back in `X-Forwarded-For` (each trusted proxy appends the peer it saw). Must be called
   * before the handler returns (uWS frees the request).
   */
  clientOf(res: HttpResponse, req: HttpRequest): string {
    const peer = Buffer.from(res.getRemoteAddressAsText()).toString();
    if (this.#trustProxyHops === 0) return peer;

    const forwarded = req.getHeader('x-forwarded-for');
    const chain = forwarded === '' ? [] : forwarded.split(',').map((entry) => entry.trim());
    chain.push(peer);
    return chain[Math.max(0, chain.length - 1 - this.#trustProxyHops)] ?? peer;
  }

  /**
   * Counts a login attempt against its account and its client address before any hashing;
   * an unknown e-mail is counted exactly like a known one, so a 429 reveals nothing.
   */
  async admitLogin(email: string, client: string): Promise<LoginAdmission> {
    const account = normalizeEmail(email);
    const [byAccount, byAddress] = await Promise.all([
      this.#store.consume(this.#account, account),
      this.#store.consume(this.#address, client),
    ]);
    if (byAccount.isAllowed && byAddress.isAllowed) {
      return { isAllowed: true, account, client };
    }

    // A refused attempt does not run, so it gives back what the other quota counted.
    if (byAccount.isAllowed) await this.#store.refund(this.#account, account);
    if (byAddress.isAllowed) await this.#store.refund(this.#address, client);
    const [quota, decision] = byAccount.isAllowed
      ? [this.#address, byAddress]
      : [this.#account, byAccount];
    return { isAllowed: false, headers: rateLimitHeaders(quota, decision) };
  }

  /**
   * Gives an attempt's units back. Only failures count: the server forgives attempts that
   * succeeded and attempts that never ran (hashing gate full, pool saturated, client gone).
   */
  async forgiveLogin(attempt: LoginAttempt): Promise<void> {
    await Promise.all([
      this.#store.refund(this.#account, attempt.account),
      this.#store.refund(this.#address, attempt.client),
    ]);
  }

  async close(): Promise<void> {
    this.clients?.close();
    await this.#store.close();
    this.#redis?.disconnect();
  }
}

/**
 * `Retry-After` (RFC 9110 10.2.3) and the RateLimit-Policy and RateLimit fields of
 * draft-ietf-httpapi-ratelimit-headers: the policy's quota and window, and what is left of
 * it with the seconds until it resets.
 */
export function rateLimitHeaders(quota: RateQuota, decision: RateDecision): [string, string][] {
  const resetSeconds = Math.max(1, Math.ceil(decision.resetMs / 1000));
  const windowSeconds = Math.ceil(quota.windowMs / 1000);
  return [
    ['Retry-After', String(resetSeconds)],
    ['RateLimit-Policy', `"${quota.name}";q=${quota.limit};w=${windowSeconds}`],
    ['RateLimit', `"${quota.name}";r=${decision.remaining};t=${resetSeconds}`],
  ];
}
