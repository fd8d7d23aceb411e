/**
 * Deterministic demo data: the same seed always yields the same organizers, events,
 * speakers and participants, so demos and benchmarks are repeatable.
 */
const FIRST_NAMES = [
  'Ana',
  'Bruno',
  'Chloé',
  'Dmitri',
  'Emeka',
  'Fatima',
  'Gustavo',
  'Hana',
  'Ingrid',
  'João',
  'Kenji',
  'Leila',
  'Mateus',
  'Nadia',
  'Oskar',
  'Priya',
  'Quentin',
  'Rafaela',
  'Søren',
  'Tomás',
  'Uma',
  'Valentina',
  'Wei',
  'Ximena',
  'Yusuf',
  'Zoë',
  'Álvaro',
  'Beatriz',
  'Ciarán',
  'Dalia',
];
const LAST_NAMES = [
  'Almeida',
  'Bianchi',
  'Costa',
  'Dubois',
  'Eriksen',
  'Fernandes',
  'García',
  'Hoffmann',
  'Ishikawa',
  'Jovanović',
  'Kowalski',
  'Lefèvre',
  'Müller',
  'Nakamura',
  'Okafor',
  'Pereira',
  'Quispe',
  'Rossi',
  'Silva',
  'Tanaka',
  'Ueda',
  'Vargas',
  'Wójcik',
  'Xu',
  'Yilmaz',
  'Zhang',
];
const CITIES = [
  'Lisboa',
  'São Paulo',
  'Berlin',
  'Kraków',
  'Montréal',
  'Nairobi',
  'Osaka',
  'Zürich',
  'Porto',
  'Bogotá',
  'Dublin',
  'Toronto',
  'Seoul',
  'Lagos',
  'Madrid',
  'Rotterdam',
];
const VENUES = ['Convention Center', 'Tech Hub', 'University Hall', 'Innovation Lab', 'Expo Park'];
const TOPICS = [
  'Cloud Native',
  'Data Engineering',
  'TypeScript',
  'Distributed Systems',
  'Security',
  'Machine Learning',
  'Observability',
  'Databases',
  'Web Performance',
  'DevOps',
  'Mobile',
  'Product Design',
  'Accessibility',
  'Rust',
  'Platform Engineering',
  'APIs',
];
const FORMATS = ['Summit', 'Conference', 'Meetup', 'Workshop', 'Bootcamp', 'Forum', 'Days'];
const CATEGORIES = ['Conference', 'Workshop', 'Meetup', 'Webinar', 'Hackathon', null];
const ORGANIZATIONS = [
  'Guild',
  'Collective',
  'Foundation',
  'Society',
  'Labs',
  'Community',
  'Institute',
  'Network',
];

/** Small, fast, seedable PRNG (mulberry32). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export class DemoData {
  readonly #random: () => number;

  constructor(seed = 2027) {
    this.#random = createRandom(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.#random() * items.length)] as T;
  }

  integer(min: number, max: number): number {
    return min + Math.floor(this.#random() * (max - min + 1));
  }

  personName(): string {
    return `${this.pick(FIRST_NAMES)} ${this.pick(LAST_NAMES)}`;
  }

  email(name: string, index: number, domain: string): string {
    const local = name
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z]+/g, '.');
    return `${local}.${index}@${domain}`;
  }

  organizer(index: number) {
    const name = `${this.pick(TOPICS)} ${this.pick(ORGANIZATIONS)} ${this.pick(CITIES)}`;
    return { name, email: `contact.${index}@events.example.org` };
  }

  speaker(index: number) {
    const name = this.personName();
    const topic = this.pick(TOPICS);
    return {
      name,
      email: this.email(name, index, 'speakers.example.org'),
      biography: `${name} has spent ${this.integer(3, 25)} years working on ${topic.toLowerCase()} and speaks about it around the world.`,
      expertise: topic,
    };
  }

  participant(index: number) {
    const name = this.personName();
    return {
      name,
      email: this.email(name, index, 'mail.example.com'),
      interests: `${this.pick(TOPICS)}, ${this.pick(TOPICS)}`,
    };
  }

  /** An event some days after `from`, at a venue, with a capacity most of the time. */
  event(organizerId: number, from: Date) {
    const topic = this.pick(TOPICS);
    const city = this.pick(CITIES);
    const date = new Date(from.getTime() + this.integer(7, 720) * 86_400_000);
    date.setUTCHours(this.integer(8, 19), this.pick([0, 15, 30, 45]), 0, 0);
    return {
      title: `${topic} ${this.pick(FORMATS)} ${city} ${date.getUTCFullYear()}`,
      description: `Talks, workshops and hallway conversations about ${topic.toLowerCase()} in ${city}.`,
      date: date.toISOString(),
      location: `${city} ${this.pick(VENUES)}`,
      category: this.pick(CATEGORIES),
      capacity: this.#random() < 0.8 ? this.integer(20, 400) : null,
      organizerId,
    };
  }
}
