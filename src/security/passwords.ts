import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

import type { PasswordHasher } from '../app/context.js';

/** scrypt's cost: N = 2^logN (CPU and memory), r (block size), p (parallelism). */
export interface ScryptCost {
  logN: number;
  r: number;
  p: number;
}

/**
 * OWASP Password Storage Cheat Sheet's scrypt recommendation: N=2^17, r=8, p=1 (128 MiB and
 * roughly 0.1-0.3 s per hash). Memory is the defence against GPU/ASIC guessing.
 */
export const OWASP_SCRYPT_COST: Readonly<ScryptCost> = Object.freeze({ logN: 17, r: 8, p: 1 });

const SALT_BYTES = 16;
const KEY_BYTES = 32;
const PREFIX = 'scrypt';

/**
 * Bounds a stored hash's parameters must respect before we spend memory on them, so a
 * corrupted or planted row cannot make verification allocate gigabytes.
 */
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;
const MAX_MEMORY_BYTES = 1024 ** 3;

export interface ScryptPasswordHasherOptions {
  /** Cost of new hashes; default OWASP_SCRYPT_COST. Tests lower it to stay fast. */
  cost?: ScryptCost;
}

/**
 * scrypt password hashing, stored as `scrypt$<logN>$<r>$<p>$<salt b64>$<key b64>` so that
 * each hash carries the cost it was made with: verification uses the stored cost, and a
 * hash below the current cost reports needsRehash (login then stores a new one).
 * Passwords are NFKC-normalised first (NIST SP 800-63B 5.1.1.2), so the same password typed
 * with composed or decomposed accents matches.
 */
export class ScryptPasswordHasher implements PasswordHasher {
  readonly cost: Readonly<ScryptCost>;

  constructor(options: ScryptPasswordHasherOptions = {}) {
    this.cost = Object.freeze({ ...(options.cost ?? OWASP_SCRYPT_COST) });
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const key = await deriveKey(password, salt, this.cost, KEY_BYTES);
    const { logN, r, p } = this.cost;
    return [PREFIX, logN, r, p, salt.toString('base64'), key.toString('base64')].join('$');
  }

  async verify(password: string, stored: string): Promise<{ ok: boolean; needsRehash: boolean }> {
    const parsed = parseStoredHash(stored);
    if (parsed === null) {
      return { ok: false, needsRehash: false };
    }

    const key = await deriveKey(password, parsed.salt, parsed.cost, parsed.key.length);
    const ok = timingSafeEqual(key, parsed.key);

    return { ok, needsRehash: ok && this.#isBelowCurrentCost(parsed.cost, parsed.key.length) };
  }

  #isBelowCurrentCost(cost: ScryptCost, keyBytes: number): boolean {
    return (
      cost.logN < this.cost.logN ||
      cost.r < this.cost.r ||
      cost.p < this.cost.p ||
      keyBytes < KEY_BYTES
    );
  }
}

interface StoredHash {
  cost: ScryptCost;
  salt: Buffer;
  key: Buffer;
}

function parseStoredHash(stored: string): StoredHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== PREFIX) {
    return null;
  }

  const [logN, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4] ?? '', 'base64');
  const key = Buffer.from(parts[5] ?? '', 'base64');
  if (!isIntegerIn(logN, 1, MAX_LOG_N) || !isIntegerIn(r, 1, MAX_R) || !isIntegerIn(p, 1, MAX_P)) {
    return null;
  }

  if (128 * r * 2 ** logN > MAX_MEMORY_BYTES || salt.length === 0 || key.length < 16) {
    return null;
  }

  return { cost: { logN, r, p }, salt, key };
}

function isIntegerIn(value: number | undefined, min: number, max: number): value is number {
  return value !== undefined && Number.isInteger(value) && value >= min && value <= max;
}

function deriveKey(
  password: string,
  salt: Buffer,
  cost: ScryptCost,
  keyBytes: number,
): Promise<Buffer> {
  const N = 2 ** cost.logN;
  // scrypt needs about 128 * r * (N + p + 2) bytes; Node refuses more than `maxmem`
  // (32 MiB by default), so raise it to fit the cost with room to spare.
  const maxmem = 128 * cost.r * (N + cost.p + 2) + 1024 * 1024;

  return new Promise((resolve, reject) => {
    scrypt(
      password.normalize('NFKC'),
      salt,
      keyBytes,
      { N, r: cost.r, p: cost.p, maxmem },
      (error, key) => (error === null ? resolve(key) : reject(error)),
    );
  });
}
