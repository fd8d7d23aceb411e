import type { CachedDocument } from './cache.js';

/**
 * The bytes stored in Redis for one document, built once at fill time:
 *
 *   magic (2) | format (1) | epoch length (1) | epoch | token length (1) | token
 *   | etag length (2, big-endian) | etag (UTF-8) | body
 *
 * The epoch and fill token are those the fill was made under; a reader serves the value only
 * when both still match (see redis-level.ts), so a value written under an older epoch or an
 * older version is a miss even if no delete reached it. Anything that does not decode (another
 * application's value, a truncated write, a future format) is a miss, never an error.
 */
export interface Envelope {
  epoch: string;
  token: string;
  document: CachedDocument;
}

const MAGIC_0 = 0xef;
const MAGIC_1 = 0xca;
const FORMAT = 1;
const MAX_SHORT_FIELD = 255;
const MAX_ETAG_BYTES = 0xffff;

export function encodeEnvelope(epoch: string, token: string, document: CachedDocument): Buffer {
  const epochBytes = Buffer.from(epoch, 'latin1');
  const tokenBytes = Buffer.from(token, 'latin1');
  const etagBytes = Buffer.from(document.etag, 'utf8');
  if (epochBytes.length > MAX_SHORT_FIELD || tokenBytes.length > MAX_SHORT_FIELD) {
    throw new RangeError('epoch and token must be at most 255 bytes');
  }
  if (etagBytes.length > MAX_ETAG_BYTES) throw new RangeError('etag is too long');

  const head = Buffer.allocUnsafe(4 + epochBytes.length + 1 + tokenBytes.length + 2);
  let at = 0;
  head[at++] = MAGIC_0;
  head[at++] = MAGIC_1;
  head[at++] = FORMAT;
  head[at++] = epochBytes.length;
  at += epochBytes.copy(head, at);
  head[at++] = tokenBytes.length;
  at += tokenBytes.copy(head, at);
  head.writeUInt16BE(etagBytes.length, at);

  return Buffer.concat([head, etagBytes, document.body]);
}

/** Decodes a stored value; null when it is not a well-formed envelope of this format. */
export function decodeEnvelope(value: Buffer): Envelope | null {
  if (value.length < 7 || value[0] !== MAGIC_0 || value[1] !== MAGIC_1) return null;
  if (value[2] !== FORMAT) return null;

  let at = 3;
  const epochLength = value[at++] as number;
  if (at + epochLength + 1 > value.length) return null;
  const epoch = value.toString('latin1', at, at + epochLength);
  at += epochLength;

  const tokenLength = value[at++] as number;
  if (at + tokenLength + 2 > value.length) return null;
  const token = value.toString('latin1', at, at + tokenLength);
  at += tokenLength;

  const etagLength = value.readUInt16BE(at);
  at += 2;
  if (etagLength === 0 || at + etagLength > value.length) return null;
  const etag = value.toString('utf8', at, at + etagLength);
  at += etagLength;

  // The body is a view into the reply buffer: no copy on a Redis hit.
  return { epoch, token, document: { body: value.subarray(at), etag } };
}
