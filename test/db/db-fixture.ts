import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';

import type { AppContext } from '../../src/app/context.js';
import type { OperationInput, OperationName, OperationResult } from '../../src/app/operation.js';
import { OPERATIONS } from '../../src/app/operations.js';
import { type DatabaseHandle, openDatabase } from '../../src/db/connect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import { ScryptPasswordHasher } from '../../src/security/passwords.js';
import { createTokenIssuer } from '../../src/security/tokens.js';
import { type TestDialect, availableDialects } from '../support/dialects.js';

/** The clock every use case sees in these tests. */
export const NOW = new Date('2030-01-01T00:00:00.000Z');

/** A date `days` after NOW, as a client would send it. */
export function futureDate(days = 30): string {
  return new Date(NOW.getTime() + days * 86_400_000).toISOString();
}

/** A low scrypt cost: these tests check behaviour, not hashing strength. */
export const TEST_SCRYPT_COST = { logN: 10, r: 8, p: 1 };

export const TEST_TOKEN_CONFIG = {
  secret: new TextEncoder().encode('a-test-secret-that-is-at-least-32-bytes-long'),
  issuer: 'eventflow-test',
  audience: 'eventflow-test-clients',
};

/** An open, migrated database and a use-case context over it. */
export class DbFixture {
  readonly dialect: TestDialect;
  readonly poolSize: number;
  #handle: DatabaseHandle | null = null;
  #ctx: AppContext | null = null;

  constructor(dialect: TestDialect, poolSize: number) {
    this.dialect = dialect;
    this.poolSize = poolSize;
  }

  get handle(): DatabaseHandle {
    if (this.#handle === null) throw new Error('the database is not open');
    return this.#handle;
  }

  get ctx(): AppContext {
    if (this.#ctx === null) throw new Error('the database is not open');
    return this.#ctx;
  }

  get db(): DatabaseHandle['db'] {
    return this.handle.db;
  }

  async open(): Promise<void> {
    const handle = await openDatabase(this.dialect.url, { poolSize: this.poolSize });
    await migrateToLatest(handle);
    this.#handle = handle;
    this.#ctx = {
      db: handle.db,
      dialect: handle.dialect,
      passwords: new ScryptPasswordHasher({ cost: TEST_SCRYPT_COST }),
      tokens: createTokenIssuer({ ...TEST_TOKEN_CONFIG, now: () => NOW }),
      now: () => NOW,
    };
  }

  async close(): Promise<void> {
    try {
      await this.#handle?.close();
    } finally {
      await this.dialect.cleanup();
    }
  }

  /** Runs an operation as the worker would. */
  run(name: OperationName, input: Partial<OperationInput> = {}): Promise<OperationResult> {
    return OPERATIONS[name](this.ctx, { params: {}, ...input });
  }

  /** Runs an operation that must succeed and returns its result. */
  async ok(name: OperationName, input: Partial<OperationInput> = {}) {
    const result = await this.run(name, input);
    if (!result.ok) {
      throw new Error(`${name} failed: ${result.code} ${result.detail}`);
    }

    return result;
  }

  /** Creates a row through its use case and returns the new id. */
  async create(name: OperationName, body: unknown): Promise<number> {
    const result = await this.ok(name, { body });
    return (result.value as { id: number }).id;
  }

  organizer(name = `Organizer ${nextNumber()}`): Promise<number> {
    return this.create('organizer.create', { name, email: `o${nextNumber()}@example.com` });
  }

  speaker(name = `Speaker ${nextNumber()}`): Promise<number> {
    return this.create('speaker.create', {
      name,
      email: `s${nextNumber()}@example.com`,
      biography: 'Talks about things.',
    });
  }

  participant(name = `Participant ${nextNumber()}`): Promise<number> {
    return this.create('participant.create', { name, email: `p${nextNumber()}@example.com` });
  }

  async event(organizerId?: number, extra: Record<string, unknown> = {}): Promise<number> {
    return this.create('event.create', eventBody(organizerId ?? (await this.organizer()), extra));
  }
}

/** A valid EventInput body. */
export function eventBody(organizerId: number, extra: Record<string, unknown> = {}) {
  return { title: 'Node Summit', date: futureDate(), location: 'Lisboa', organizerId, ...extra };
}

/** Asserts that an operation failed with `code`. */
export function assertFailure(result: OperationResult, code: string): void {
  assert.is(result.ok, false, `expected ${code}, got success`);
  if (!result.ok) {
    assert.is(result.code, code);
  }
}

/** Invalidation keys in a stable order, for comparison. */
export function sortedKeys(keys: readonly string[]): string[] {
  return [...keys].sort();
}

/**
 * Defines one uvu suite per available dialect, named `${unit} [${dialect}]`, with a fresh
 * migrated database opened before its tests and dropped after them, and runs them.
 */
export async function dialectSuites(
  unit: string,
  define: (test: Test, fixture: DbFixture) => void,
  options: { poolSize?: number } = {},
): Promise<void> {
  for (const dialect of await availableDialects()) {
    const fixture = new DbFixture(dialect, options.poolSize ?? 4);
    const test = suite(`${unit} [${dialect.name}]`);
    test.before(async () => {
      try {
        await fixture.open();
      } catch (error) {
        // uvu reports a failed `before` only as tests not run; say why.
        console.error(`${unit} [${dialect.name}]: the database did not open`, error);
        throw error;
      }
    });
    test.after(() => fixture.close());
    define(test, fixture);
    test.run();
  }
}

let sequence = 0;

/** A number unique in this process, for names and e-mail addresses. */
export function nextNumber(): number {
  return ++sequence;
}
