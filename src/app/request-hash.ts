import { createHash } from 'node:crypto';

import type { OperationInput, OperationName } from './operation.js';

/**
 * What an Idempotency-Key retry must repeat exactly: SHA-256 (hex) over the operation, the
 * path ids and the body, as canonical JSON. The user is not part of it: the key's record is
 * already per user. Key order does not matter, so a client that rebuilds the same body with
 * its properties in another order is still retrying the same request.
 */
export function requestHash(operation: OperationName, input: OperationInput): string {
  const request = { operation, params: input.params, body: input.body ?? null };
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

/**
 * JSON with the keys of every object sorted (by UTF-16 code units, as Array#sort does) and
 * no whitespace. Values come from JSON.parse or plain objects, so only JSON types occur;
 * `undefined` properties are left out, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) {
    return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  }

  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    const members = Object.keys(object)
      .sort()
      .filter((key) => object[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
    return `{${members.join(',')}}`;
  }

  return JSON.stringify(value ?? null);
}
