import type { AppContext } from './app/context.js';
import type { OperationInput, OperationName } from './app/operation.js';
import { OPERATIONS } from './app/operations.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/connect.js';
import { migrateToLatest } from './db/migrate.js';
import { ScryptPasswordHasher } from './security/passwords.js';
import { createTokenIssuer } from './security/tokens.js';
import { DemoData } from './seed-data.js';

/** The account the README's walkthrough logs in with. */
export const DEMO_USER = {
  username: 'Demo Organizer',
  email: 'demo@eventflow.example',
  password: 'EventFlow-demo-2027',
};

export interface SeedSize {
  organizers: number;
  events: number;
  speakers: number;
  participants: number;
  /** Registrations attempted per event (full events stop early). */
  registrationsPerEvent: number;
}

export const DEFAULT_SEED: SeedSize = {
  organizers: 40,
  events: 400,
  speakers: 120,
  participants: 1500,
  registrationsPerEvent: 12,
};

/**
 * Fills a database with demo data through the same use cases the API runs, so every row
 * obeys the same rules (capacity, future dates, relations). Refuses a database that already
 * has events unless `--append` is given.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const args = process.argv.slice(2);
  const handle = await openDatabase(config.databaseUrl, { poolSize: 4 });
  try {
    await migrateToLatest(handle);
    const context: AppContext = {
      db: handle.db,
      dialect: handle.dialect,
      passwords: new ScryptPasswordHasher(),
      tokens: createTokenIssuer(config.jwt),
      now: () => new Date(),
    };

    const existing = await run(context, 'statistics.get', { params: {} });
    const counts = existing as { eventCount: number };
    if (counts.eventCount > 0 && !args.includes('--append')) {
      process.stdout.write(
        `The database already has ${counts.eventCount} events; nothing seeded (use --append).\n`,
      );
      return;
    }

    const started = Date.now();
    await seed(context, DEFAULT_SEED);
    const statistics = await run(context, 'statistics.get', { params: {} });
    process.stdout.write(
      `Seeded in ${((Date.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(statistics)}\n` +
        `Log in as ${DEMO_USER.email} / ${DEMO_USER.password}\n`,
    );
  } finally {
    await handle.close();
  }
}

export async function seed(context: AppContext, size: SeedSize): Promise<void> {
  const data = new DemoData();

  const registered = await OPERATIONS['auth.register'](context, { params: {}, body: DEMO_USER });
  if (!registered.ok && registered.code !== 'EMAIL_TAKEN') throw new Error(registered.detail);

  const organizerIds = await createMany(context, 'organizer.create', size.organizers, (i) =>
    data.organizer(i),
  );
  const speakerIds = await createMany(context, 'speaker.create', size.speakers, (i) =>
    data.speaker(i),
  );
  const participantIds = await createMany(context, 'participant.create', size.participants, (i) =>
    data.participant(i),
  );
  const now = new Date();
  const eventIds = await createMany(context, 'event.create', size.events, () =>
    data.event(data.pick(organizerIds), now),
  );

  for (const eventId of eventIds) {
    for (let i = data.integer(1, 3); i > 0; i--) {
      const speakerId = data.pick(speakerIds);
      await run(context, 'speaker.linkEvent', { params: { speakerId, eventId } });
    }
    for (let i = data.integer(0, size.registrationsPerEvent); i > 0; i--) {
      const participantId = data.pick(participantIds);
      const result = await OPERATIONS['participant.register'](context, {
        params: { eventId, participantId },
      });
      if (!result.ok && result.code !== 'EVENT_FULL') throw new Error(result.detail);
    }
  }
}

async function createMany(
  context: AppContext,
  operation: OperationName,
  count: number,
  build: (index: number) => unknown,
): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 1; i <= count; i++) {
    const created = (await run(context, operation, { params: {}, body: build(i) })) as {
      id: number;
    };
    ids.push(created.id);
  }
  return ids;
}

async function run(
  context: AppContext,
  operation: OperationName,
  input: OperationInput,
): Promise<unknown> {
  const result = await OPERATIONS[operation](context, input);
  if (!result.ok) throw new Error(`${operation} failed: ${result.code} ${result.detail}`);
  return result.value;
}

if (process.argv[1]?.endsWith('seed.js') === true) {
  main().catch((error: unknown) => {
    process.stderr.write(`Seeding failed: ${String(error)}\n`);
    process.exit(1);
  });
}
