import type { HttpResponse } from 'uWebSockets.js';

export type BodyOutcome = { kind: 'complete'; body: Buffer } | { kind: 'too-large' };

/**
 * Reads a request body of at most `limit` bytes. uWS hands out chunks backed by memory it
 * reuses after the callback, so each chunk is copied. Crossing the limit settles at once as
 * `too-large` and stops buffering; the caller answers 413 and closes the connection so the
 * rest of the upload is never read.
 */
export function readBody(
  res: HttpResponse,
  limit: number,
  onDone: (outcome: BodyOutcome) => void,
): void {
  let chunks: Buffer[] | null = [];
  let received = 0;

  res.onData((chunk, isLast) => {
    if (chunks === null) return;

    received += chunk.byteLength;
    if (received > limit) {
      chunks = null;
      onDone({ kind: 'too-large' });
      return;
    }

    chunks.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast) return;

    const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, received);
    chunks = null;
    onDone({ kind: 'complete', body });
  });
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export type JsonOutcome = { ok: true; value: unknown } | { ok: false; detail: string };

/** Decodes strict UTF-8 (invalid sequences are errors, not U+FFFD) and parses JSON. */
export function parseJsonBody(body: Buffer): JsonOutcome {
  let text: string;
  try {
    text = STRICT_UTF8.decode(body);
  } catch {
    return { ok: false, detail: 'The request body is not valid UTF-8.' };
  }

  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, detail: 'The request body is not valid JSON.' };
  }
}

/** `application/json`, optionally with `charset=utf-8`; anything else is a 415. */
export function isJsonContentType(header: string): boolean {
  const [type = '', ...parameters] = header.toLowerCase().split(';');
  if (type.trim() !== 'application/json') return false;

  return parameters.every((parameter) => {
    const [name = '', value = ''] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || value.replaceAll('"', '') === 'utf-8';
  });
}

/**
 * What the request head says about the body, checked before reading it: a JSON content type
 * (else 415) and a declared length within the limit (else 413). Null when both are fine.
 */
export function checkBodyHeaders(contentType: string, contentLength: string, limit: number) {
  if (!isJsonContentType(contentType)) {
    return {
      code: 'UNSUPPORTED_MEDIA_TYPE' as const,
      options: {
        detail: 'The request body must be application/json (UTF-8).',
        closeConnection: true,
      },
    };
  }
  const declared = contentLength === '' ? 0 : Number(contentLength);
  if (declared > limit) {
    return {
      code: 'PAYLOAD_TOO_LARGE' as const,
      options: { detail: `The request body exceeds ${limit} bytes.`, closeConnection: true },
    };
  }
  return null;
}
