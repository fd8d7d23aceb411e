import { Agent as HttpAgent, type IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

import type { OtlpTarget } from './telemetry-config.js';

/**
 * Retries of one export and their backoff: those of the OpenTelemetry JS exporters (5
 * retries from 1 s, times 1.5 each, at most 5 s, ±20% jitter), all within the export
 * timeout. OTLP/HTTP says 429, 502, 503 and 504 are retryable, with Retry-After honoured.
 */
const MAX_RETRIES = 5;
const INITIAL_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 5000;
const BACKOFF_MULTIPLIER = 1.5;
const JITTER = 0.2;
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);

interface Attempt {
  /** Null when the collector accepted the request. */
  error: string | null;
  isRetryable: boolean;
  retryAfterMs: number | null;
}

/**
 * Posts OTLP/HTTP protobuf bodies to one collector URL over kept-alive connections. The
 * export thread uses it for spans it encodes itself (OtlpSpanEncoder); metrics and gRPC go
 * through the OpenTelemetry exporters.
 */
export class OtlpHttpSender {
  readonly #url: URL;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;
  readonly #agent: HttpAgent;
  readonly #request: typeof httpRequest;

  constructor(target: OtlpTarget) {
    this.#url = new URL(target.url);
    this.#headers = {
      ...target.headers,
      'content-type': 'application/x-protobuf',
      'user-agent': 'eventflow-otlp-exporter',
    };
    this.#timeoutMs = target.timeoutMs;
    const isHttps = this.#url.protocol === 'https:';
    this.#agent = isHttps
      ? new HttpsAgent({ keepAlive: true })
      : new HttpAgent({ keepAlive: true });
    this.#request = isHttps ? httpsRequest : httpRequest;
  }

  /** Sends one body, retrying what is retryable; resolves null when accepted, else why not. */
  async send(body: Buffer): Promise<string | null> {
    const deadline = Date.now() + this.#timeoutMs;
    let backoffMs = INITIAL_BACKOFF_MS;
    for (let retries = 0; ; retries++) {
      const attempt = await this.#post(body, Math.max(1, deadline - Date.now()));
      if (!attempt.isRetryable || retries === MAX_RETRIES) return attempt.error;

      const jitter = 1 + (Math.random() * 2 - 1) * JITTER;
      const waitMs = attempt.retryAfterMs ?? Math.min(backoffMs * jitter, MAX_BACKOFF_MS);
      backoffMs *= BACKOFF_MULTIPLIER;
      if (waitMs > deadline - Date.now()) return attempt.error;
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.#agent.destroy();
  }

  #post(body: Buffer, timeoutMs: number): Promise<Attempt> {
    return new Promise((resolve) => {
      const headers = { ...this.#headers, 'content-length': String(body.length) };
      const request = this.#request(
        this.#url,
        { method: 'POST', headers, agent: this.#agent },
        (response) => {
          // The body (an ExportTraceServiceResponse, maybe a partial success) is not used.
          response.resume();
          response.once('end', () => resolve(outcomeOf(response)));
          response.once('error', (error) => resolve(failure(error, false)));
        },
      );
      request.setTimeout(timeoutMs, () => {
        request.destroy(new Error(`OTLP export timed out after ${timeoutMs} ms`));
      });
      request.once('error', (error) => resolve(failure(error, true)));
      request.end(body);
    });
  }
}

function outcomeOf(response: IncomingMessage): Attempt {
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return { error: null, isRetryable: false, retryAfterMs: null };

  const isRetryable = RETRYABLE_STATUSES.has(status);
  return {
    error: `OTLP export answered ${status} ${response.statusMessage ?? ''}`.trim(),
    isRetryable,
    retryAfterMs: isRetryable ? retryAfterMs(response.headers['retry-after']) : null,
  };
}

/** Network errors and timeouts are retryable (the collector may be restarting). */
function failure(error: Error, isRetryable: boolean): Attempt {
  return { error: error.message, isRetryable, retryAfterMs: null };
}

/** Retry-After as seconds or an HTTP date; null when absent or unreadable. */
function retryAfterMs(header: string | undefined): number | null {
  if (header === undefined) return null;

  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}
