import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SEAT_LIMIT_UNLIMITED } from '../src/db/schema.js';
import { createRandom } from '../src/seed-data.js';

/** Runs `node <script>` with DATABASE_URL and returns its output; rejects on a non-zero exit. */
export function runNodeScript(
  script: string,
  env: NodeJS.ProcessEnv,
  timeoutMs = 300_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${script} exited with ${code}:\n${output}`));
    });
  });
}

/** Environment for the project's scripts: only what they need, nothing inherited by accident. */
export function scriptEnv(databaseUrl: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'warn',
  };
}

/** `npm run seed` data: 400 events, 40 organizers, 120 speakers, 1500 participants, the demo user. */
export async function seedDatabase(root: string, databaseUrl: string): Promise<string> {
  const output = await runNodeScript(join(root, 'dist', 'src', 'seed.js'), scriptEnv(databaseUrl));
  return output.trim().split('\n')[0] ?? '';
}

const CITIES = ['Lisboa', 'Berlin', 'Osaka', 'Nairobi', 'Toronto', 'Seoul', 'Madrid', 'Porto'];
const TOPICS = ['Cloud', 'Data', 'TypeScript', 'Security', 'Rust', 'DevOps', 'APIs', 'Mobile'];

/**
 * A SQLite database with `events` events for the scale check: the schema comes from the
 * project's migrations (`node dist/src/migrate.js`), then organizers and events are inserted
 * directly with better-sqlite3 in one transaction (the API's use cases would take minutes for
 * a million rows). Rows obey the schema's rules: seat_limit mirrors capacity, and is
 * SEAT_LIMIT_UNLIMITED when capacity is null. Event ids are 1..events.
 */
export async function buildScaleDatabase(
  root: string,
  file: string,
  events: number,
): Promise<void> {
  await runNodeScript(join(root, 'dist', 'src', 'migrate.js'), scriptEnv(`sqlite:${file}`));

  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -262144');
    const organizers = Math.max(1, Math.min(1000, Math.ceil(events / 100)));
    const random = createRandom(events);
    const insertOrganizer = db.prepare('insert into organizers (name, email) values (?, ?)');
    const insertEvent = db.prepare(
      'insert into events (title, description, starts_at, location, category, capacity, seat_limit, organizer_id) ' +
        'values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const start = Date.UTC(2028, 0, 1);

    db.transaction(() => {
      for (let i = 1; i <= organizers; i++) {
        insertOrganizer.run(`Scale Organizer ${i}`, `organizer.${i}@scale.example.org`);
      }
      for (let i = 1; i <= events; i++) {
        const topic = TOPICS[i % TOPICS.length] as string;
        const city = CITIES[Math.floor(random() * CITIES.length)] as string;
        const capacity = random() < 0.8 ? 20 + Math.floor(random() * 380) : null;
        const startsAt = new Date(start + Math.floor(random() * 720) * 86_400_000).toISOString();
        insertEvent.run(
          `${topic} Meetup ${city} #${i}`,
          `Talks and conversations about ${topic.toLowerCase()} in ${city}.`,
          startsAt,
          `${city} Convention Center`,
          'Meetup',
          capacity,
          capacity ?? SEAT_LIMIT_UNLIMITED,
          1 + (i % organizers),
        );
      }
    })();
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
