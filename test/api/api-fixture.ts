/**
 * Shared set-up of the HTTP suites: one server per available dialect, one logged-in user per
 * server, and helpers that create resources through the API and check the answer.
 */
import { suite, type Test } from 'uvu';
import * as assert from 'uvu/assert';
import type {
  EventDocument,
  EventInput,
  EventSummary,
  OrganizerDocument,
  OrganizerInput,
  ParticipantDocument,
  ParticipantInput,
  SpeakerDocument,
  SpeakerInput,
} from '../../src/domain/types.js';
import { availableDialects, type TestDialect } from '../support/dialects.js';
import { assertMatchesContract, operationIdFor } from '../support/openapi-responses.js';
import {
  startTestServer,
  type RequestOptions,
  type TestResponse,
  type TestServer,
} from '../support/server.js';

/** A response that knows which request produced it, for readable failures. */
export interface ApiResponse extends TestResponse {
  label: string;
}

export interface FixtureOptions {
  /** Extra environment for the server's configuration. */
  env?: Record<string, string>;
  /** Register and log in one user at start (default true); hashing costs ~0.6 s. */
  login?: boolean;
}

let sequence = 0;

/** A number unique in this process, for names and e-mail addresses. */
export function nextNumber(): number {
  return ++sequence;
}

/** An ISO instant in 2090 (always in the future for these tests), `days` after New Year. */
export function futureDate(days = 0, hours = 10): string {
  return new Date(Date.UTC(2090, 0, 1 + days, hours)).toISOString();
}

export function expectStatus(response: ApiResponse, status: number): void {
  assert.is(
    response.status,
    status,
    `${response.label} answered ${response.status}: ${clip(response.text)}`,
  );
}

/** The `X-Pagination` header of a list answer, parsed. */
export interface PaginationMeta {
  totalCount: number;
  pageSize: number;
  pageNumber: number;
  totalPages: number;
  hasNextPage: boolean;
  hasPreviousPage: boolean;
}

export function paginationOf(response: TestResponse): PaginationMeta {
  const header = response.headers.get('x-pagination');
  assert.ok(header !== null, 'X-Pagination header');
  return JSON.parse(header) as PaginationMeta;
}

/** The summary an organizer or speaker document shows of `event`. */
export function summaryOf(event: EventDocument): EventSummary {
  const { id, title, description, date, location } = event;
  return { id, title, description, date, location };
}

/** The PUT /event/update/{id} body that keeps every field of `event` as it is. */
export function inputOf(event: EventDocument): EventInput {
  return {
    title: event.title,
    description: event.description,
    date: event.date,
    location: event.location,
    category: event.category,
    capacity: event.capacity,
    organizerId: event.organizer?.id ?? 0,
  };
}

/** Embedded lists have no contracted order: compare them sorted by id. */
export function byId<T extends { id: number }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => a.id - b.id);
}

export function idsOf(items: readonly { id: number }[]): number[] {
  return byId(items).map((item) => item.id);
}

/** Runs `make(0..count-1)` ten at a time, in order of index. */
export async function inBatches<T>(
  count: number,
  make: (index: number) => Promise<T>,
): Promise<T[]> {
  const made: T[] = [];
  for (let start = 0; start < count; start += 10) {
    const batch = Array.from({ length: Math.min(10, count - start) }, (_, i) => make(start + i));
    made.push(...(await Promise.all(batch)));
  }
  return made;
}

function clip(text: string): string {
  return text.length > 600 ? `${text.slice(0, 600)}...` : text;
}

export class ApiFixture {
  readonly dialect: TestDialect;
  readonly #options: FixtureOptions;
  #server: TestServer | null = null;
  #token: string | null = null;

  constructor(dialect: TestDialect, options: FixtureOptions = {}) {
    this.dialect = dialect;
    this.#options = options;
  }

  get server(): TestServer {
    if (this.#server === null) throw new Error('the server has not started');
    return this.#server;
  }

  /** Bearer token of the user logged in at start. */
  get token(): string {
    if (this.#token === null) throw new Error('no user is logged in');
    return this.#token;
  }

  async start(): Promise<void> {
    const server = await startTestServer({
      databaseUrl: this.dialect.url,
      env: this.#options.env ?? {},
    });
    this.#server = server;
    if (this.#options.login !== false) this.#token = await server.login();
  }

  async stop(): Promise<void> {
    try {
      await this.#server?.stop();
    } finally {
      await this.dialect.cleanup();
    }
  }

  /**
   * Every answer to a request on a contract route is checked against openapi.json, whatever
   * the test then asserts: status, headers, content type and body schema.
   */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse> {
    const response = await this.server.request(method, path, options);
    const operationId = operationIdFor(method, path);
    if (operationId !== undefined) assertMatchesContract(operationId, response);
    return { ...response, label: `${method} ${path}` };
  }

  /** A request with the logged-in user's token and `body` as JSON (when given). */
  send(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    return this.request(
      method,
      path,
      body === undefined ? { token: this.token } : { body, token: this.token },
    );
  }

  get(path: string, headers: Record<string, string> = {}): Promise<ApiResponse> {
    return this.request('GET', path, { headers });
  }

  createOrganizer(input: Partial<OrganizerInput> = {}): Promise<OrganizerDocument> {
    const n = nextNumber();
    return this.#create('/organizer', 'organizer.create', {
      name: `Organizer ${n}`,
      email: `organizer${n}@example.test`,
      ...input,
    });
  }

  createEvent(organizerId: number, input: Partial<EventInput> = {}): Promise<EventDocument> {
    const n = nextNumber();
    return this.#create('/event', 'event.create', {
      title: `Event ${n}`,
      date: futureDate(n % 300),
      location: `Hall ${n}`,
      organizerId,
      ...input,
    });
  }

  createSpeaker(input: Partial<SpeakerInput> = {}): Promise<SpeakerDocument> {
    const n = nextNumber();
    return this.#create('/speaker', 'speaker.create', {
      name: `Speaker ${n}`,
      email: `speaker${n}@example.test`,
      biography: `Biography of speaker ${n}.`,
      ...input,
    });
  }

  createParticipant(input: Partial<ParticipantInput> = {}): Promise<ParticipantDocument> {
    const n = nextNumber();
    return this.#create('/participant', 'participant.create', {
      name: `Participant ${n}`,
      email: `participant${n}@example.test`,
      ...input,
    });
  }

  /** Registers a participant for an event; the raw answer (200, 404, 409...). */
  register(eventId: number, participantId: number): Promise<ApiResponse> {
    return this.send('POST', `/participant/${eventId}/participant/${participantId}`);
  }

  /** Links a speaker to an event; the raw answer. */
  link(speakerId: number, eventId: number): Promise<ApiResponse> {
    return this.send('POST', `/speaker/${speakerId}/event/${eventId}`);
  }

  /** GET of a document that must exist, checked against the contract. */
  async read<T>(path: string, operationId: string): Promise<T> {
    const response = await this.get(path);
    expectStatus(response, 200);
    assertMatchesContract(operationId, response);
    return response.body as T;
  }

  async #create<T>(path: string, operationId: string, body: unknown): Promise<T> {
    const response = await this.send('POST', path, body);
    expectStatus(response, 201);
    assertMatchesContract(operationId, response);
    return response.body as T;
  }
}

/**
 * Defines one uvu suite per available dialect, named `${unit} [${dialect}]`, each with its
 * own server started in `before` and stopped (database dropped) in `after`, and runs them.
 */
export async function dialectSuites(
  unit: string,
  define: (test: Test, api: ApiFixture) => void,
  options: FixtureOptions = {},
): Promise<void> {
  for (const dialect of await availableDialects()) {
    const name = `${unit} [${dialect.name}]`;
    const api = new ApiFixture(dialect, options);
    const test = suite(name);
    test.before(async () => {
      try {
        await api.start();
      } catch (error) {
        // uvu reports a failed `before` only as tests not run; say why.
        console.error(`${name}: the server did not start`, error);
        throw error;
      }
    });
    test.after(() => api.stop());
    define(test, api);
    test.run();
  }
}
