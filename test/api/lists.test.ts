import * as assert from 'uvu/assert';
import type {
  EventDocument,
  OrganizerDocument,
  ParticipantDocument,
  SpeakerDocument,
} from '../../src/domain/types.js';
import { assertMatchesContract, assertProblem } from '../support/openapi-responses.js';
import {
  dialectSuites,
  expectStatus,
  futureDate,
  inBatches,
  paginationOf,
  type ApiFixture,
  type PaginationMeta,
} from './api-fixture.js';

interface Page<T> {
  items: T[];
  meta: PaginationMeta;
  /** rel -> target of the Link header. */
  links: Record<string, string>;
}

interface Seed {
  /** Events whose location contains "Sortville", for the sort orders. */
  sortable: EventDocument[];
  /** Organizers named "Org 001".."Org 028", two of each name. */
  numbered: OrganizerDocument[];
  byName: Record<string, OrganizerDocument>;
  eventsByTitle: Record<string, EventDocument>;
  speakers: SpeakerDocument[];
  crowdEvent: EventDocument;
  crowd: ParticipantDocument[];
}

function parseLinks(header: string | null): Record<string, string> {
  const links: Record<string, string> = {};
  for (const match of (header ?? '').matchAll(/<([^>]*)>\s*;\s*rel="?([a-z]+)"?/g)) {
    links[match[2] ?? ''] = match[1] ?? '';
  }
  return links;
}

async function getPage<T>(api: ApiFixture, path: string, operationId: string): Promise<Page<T>> {
  const response = await api.get(path);
  expectStatus(response, 200);
  assertMatchesContract(operationId, response);
  return {
    items: response.body as T[],
    meta: paginationOf(response),
    links: parseLinks(response.headers.get('link')),
  };
}

/** Walks every page of `query` and checks each page's metadata on the way. */
async function allPages<T>(
  api: ApiFixture,
  base: string,
  query: string,
  pageSize: number,
  operationId: string,
): Promise<T[]> {
  const items: T[] = [];
  const first = await getPage<T>(
    api,
    `${base}?${query}&pageSize=${pageSize}&pageNumber=1`,
    operationId,
  );
  const { totalCount, totalPages } = first.meta;
  assert.is(totalPages, Math.ceil(totalCount / pageSize), 'totalPages');

  for (let pageNumber = 1; pageNumber <= totalPages; pageNumber++) {
    const page =
      pageNumber === 1
        ? first
        : await getPage<T>(
            api,
            `${base}?${query}&pageSize=${pageSize}&pageNumber=${pageNumber}`,
            operationId,
          );
    assert.equal(page.meta, {
      totalCount,
      pageSize,
      pageNumber,
      totalPages,
      hasNextPage: pageNumber < totalPages,
      hasPreviousPage: pageNumber > 1,
    });
    assert.is(
      page.items.length,
      pageNumber < totalPages ? pageSize : totalCount - pageSize * (totalPages - 1),
    );
    items.push(...page.items);
  }
  return items;
}

function ids(items: readonly { id: number }[]): number[] {
  return items.map((item) => item.id);
}

/**
 * The expected order for a sort key, ties by id. For descending sorts the contract only says
 * "ties are broken by id", so both id directions are returned.
 */
function orders<T extends { id: number }>(
  items: readonly T[],
  key: (item: T) => string,
  descending: boolean,
): number[][] {
  const compare = (a: T, b: T) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const ascending = [...items].sort((a, b) => compare(a, b) || a.id - b.id);
  if (!descending) return [ids(ascending)];

  const idsAscending = [...items].sort((a, b) => compare(b, a) || a.id - b.id);
  return [ids([...ascending].reverse()), ids(idsAscending)];
}

function assertOneOf(actual: number[], expected: number[][], what: string): void {
  assert.ok(
    expected.some((candidate) => JSON.stringify(candidate) === JSON.stringify(actual)),
    `${what}: got ${JSON.stringify(actual)}, expected ${expected.map((e) => JSON.stringify(e)).join(' or ')}`,
  );
}

async function seed(api: ApiFixture): Promise<Seed> {
  const host = await api.createOrganizer({ name: 'Host Organizer', email: 'host@lists.example' });
  const sortable: EventDocument[] = [];
  for (const [title, day] of [
    ['Alpha', 5],
    ['Bravo', 3],
    ['Alpha', 3],
    ['Charlie', 1],
    ['Delta', 5],
    ['Echo', 2],
    ['Alpha', 5],
  ] as const) {
    sortable.push(
      await api.createEvent(host.id, {
        title,
        date: futureDate(day),
        location: `Sortville ${sortable.length}`,
      }),
    );
  }

  const eventsByTitle: Record<string, EventDocument> = {};
  for (const [title, location] of [
    ['100% Agile', 'Zurich'],
    ['100x Agile', 'Zurich'],
    ['snake_case talk', 'Vienna'],
    ['snakeXcase talk', 'Vienna'],
    ['Rust Meetup', 'ÉCOLE Centrale'],
  ] as const) {
    eventsByTitle[title] = await api.createEvent(host.id, {
      title,
      location,
      date: futureDate(40),
    });
  }

  const numbered = await inBatches(56, (index) =>
    api.createOrganizer({
      name: `Org ${String(Math.floor(index / 2) + 1).padStart(3, '0')}`,
      email: `numbered${index}@lists.example`,
    }),
  );
  const byName: Record<string, OrganizerDocument> = {};
  for (const [name, email] of [
    ['100% Club', 'percent@lists.example'],
    ['100x Club', 'x@lists.example'],
    ['a_b Society', 'underscore@lists.example'],
    ['axb Society', 'axb@lists.example'],
    ['Bracket [x] Co', 'bracket@lists.example'],
    ['Back\\Slash Ltd', 'backslash@lists.example'],
    ['Café Crème', 'cafe@lists.example'],
    ['Plain Name', 'Unique-Mailbox@Filter.example'],
  ] as const) {
    byName[name] = await api.createOrganizer({ name, email });
  }

  const speakers = [
    await api.createSpeaker({ name: 'Yara Speaker', email: 'yara@talks.example' }),
    await api.createSpeaker({ name: 'Abel Speaker', email: 'abel@talks.example' }),
    await api.createSpeaker({ name: 'Mona Speaker', email: 'mona@other.example' }),
  ];

  const crowdEvent = await api.createEvent(host.id, { title: 'Crowded', location: 'Arena' });
  const crowd = await inBatches(7, (index) =>
    api.createParticipant({
      name: `Crowd ${String.fromCharCode(71 - index)}`,
      email: `crowd${index}@lists.example`,
    }),
  );
  for (const participant of crowd)
    expectStatus(await api.register(crowdEvent.id, participant.id), 200);

  return { sortable, numbered, byName, eventsByTitle, speakers, crowdEvent, crowd };
}

await dialectSuites('list routes', (test, api) => {
  let data: Seed;
  test.before(async () => {
    data = await seed(api);
  });

  test('answers X-Pagination with every field and the first page by default', async () => {
    const page = await getPage<OrganizerDocument>(
      api,
      '/organizer/all?filter=Org%200',
      'organizer.list',
    );

    assert.equal(page.meta, {
      totalCount: 56,
      pageSize: 10,
      pageNumber: 1,
      totalPages: 6,
      hasNextPage: true,
      hasPreviousPage: false,
    });
    assert.is(page.items.length, 10);
  });

  test('links the next and previous pages, keeping sort and filter, and the links work', async () => {
    const page = await getPage<OrganizerDocument>(
      api,
      '/organizer/all?filter=Org%200&sortBy=name_desc&pageSize=10&pageNumber=2',
      'organizer.list',
    );

    assert.ok(
      page.links['next'] !== undefined && page.links['prev'] !== undefined,
      JSON.stringify(page.links),
    );
    const next = await getPage<OrganizerDocument>(api, page.links['next'] ?? '', 'organizer.list');
    const prev = await getPage<OrganizerDocument>(api, page.links['prev'] ?? '', 'organizer.list');
    const direct = await getPage<OrganizerDocument>(
      api,
      '/organizer/all?filter=Org%200&sortBy=name_desc&pageSize=10&pageNumber=3',
      'organizer.list',
    );
    assert.is(next.meta.pageNumber, 3);
    assert.is(prev.meta.pageNumber, 1);
    assert.equal(ids(next.items), ids(direct.items));
    assert.is(next.meta.totalCount, 56, 'the filter is kept');
  });

  test('has no next link on the last page and no previous link on the first', async () => {
    const first = await getPage(
      api,
      '/organizer/all?filter=Org%200&pageSize=20&pageNumber=1',
      'organizer.list',
    );
    const last = await getPage(
      api,
      '/organizer/all?filter=Org%200&pageSize=20&pageNumber=3',
      'organizer.list',
    );

    assert.is(first.links['prev'], undefined);
    assert.ok(first.links['next'] !== undefined);
    assert.is(last.links['next'], undefined);
    assert.ok(last.links['prev'] !== undefined);
    assert.is(last.items.length, 16);
    assert.is(last.meta.hasNextPage, false);
  });

  test('clamps pageSize above 50 to 50', async () => {
    for (const pageSize of [51, 1000, 9007199254740991]) {
      const page = await getPage(api, `/organizer/all?pageSize=${pageSize}`, 'organizer.list');

      assert.is(page.meta.pageSize, 50, `pageSize=${pageSize}`);
      assert.is(page.items.length, 50);
    }
  });

  test('matches query parameter names case-insensitively', async () => {
    const lower = await getPage<OrganizerDocument>(
      api,
      '/organizer/all?filter=Org%200&sortBy=name_desc&pageSize=3&pageNumber=2',
      'organizer.list',
    );
    const mixed = await getPage<OrganizerDocument>(
      api,
      '/organizer/all?FILTER=Org%200&SortBy=name_desc&PageSize=3&PAGENUMBER=2',
      'organizer.list',
    );

    assert.equal(mixed.meta, lower.meta);
    assert.equal(ids(mixed.items), ids(lower.items));
    assert.is(mixed.meta.pageSize, 3);
  });

  test('answers 200 with an empty array for a page past the end', async () => {
    for (const pageNumber of [7, 1000000]) {
      const response = await api.get(`/organizer/all?filter=Org%200&pageNumber=${pageNumber}`);

      expectStatus(response, 200);
      assertMatchesContract('organizer.list', response);
      assert.equal(response.body, []);
      const meta = paginationOf(response);
      assert.is(meta.totalCount, 56);
      assert.is(meta.pageNumber, pageNumber);
      assert.is(meta.hasNextPage, false);
      assert.is(parseLinks(response.headers.get('link'))['next'], undefined);
    }
  });

  test('sorts organizers by name, ties by id, with pages that never overlap or skip', async () => {
    const expected = orders(data.numbered, (o) => o.name, false);
    const expectedDesc = orders(data.numbered, (o) => o.name, true);

    const byName = await allPages<OrganizerDocument>(
      api,
      '/organizer/all',
      'filter=Org%200',
      3,
      'organizer.list',
    );
    const byDefault = await allPages<OrganizerDocument>(
      api,
      '/organizer/all',
      'filter=Org%200&sortBy=name',
      7,
      'organizer.list',
    );
    const descending = await allPages<OrganizerDocument>(
      api,
      '/organizer/all',
      'filter=Org%200&sortBy=name_desc',
      3,
      'organizer.list',
    );

    assertOneOf(ids(byName), expected, 'name');
    assertOneOf(ids(byDefault), expected, 'default');
    assertOneOf(ids(descending), expectedDesc, 'name_desc');
  });

  test('sorts events by date (default), date_desc, title and title_desc, ties by id, across pages', async () => {
    const date = (e: EventDocument) => e.date;
    const title = (e: EventDocument) => e.title;
    const cases: [string, number[][]][] = [
      ['', orders(data.sortable, date, false)],
      ['&sortBy=date', orders(data.sortable, date, false)],
      ['&sortBy=date_desc', orders(data.sortable, date, true)],
      ['&sortBy=title', orders(data.sortable, title, false)],
      ['&sortBy=title_desc', orders(data.sortable, title, true)],
    ];

    for (const [sort, expected] of cases) {
      const events = await allPages<EventDocument>(
        api,
        '/event/all',
        `filter=sortville${sort}`,
        2,
        'event.list',
      );
      assertOneOf(ids(events), expected, sort || 'default');
    }
  });

  test('lists events as full documents with their organizer, speakers and participants', async () => {
    const page = await getPage<EventDocument>(api, '/event/all?filter=crowded', 'event.list');

    assert.is(page.items.length, 1);
    assert.equal(
      page.items[0]?.participants.map((p) => p.id).sort((a, b) => a - b),
      ids(data.crowd).sort((a, b) => a - b),
    );
    assert.is(page.items[0]?.organizer?.name, 'Host Organizer');
  });

  test('filters events by a case-insensitive substring of the title or the location', async () => {
    const cases: [string, string[]][] = [
      ['ALPHA', ['Alpha', 'Alpha', 'Alpha']],
      ['zurich', ['100% Agile', '100x Agile']],
      ['100%', ['100% Agile']],
      ['snake_case', ['snake_case talk']],
      ['école', ['Rust Meetup']],
      ['ÉCOLE', ['Rust Meetup']],
      ["' OR '1'='1", []],
    ];

    for (const [filter, titles] of cases) {
      const page = await getPage<EventDocument>(
        api,
        `/event/all?pageSize=50&filter=${encodeURIComponent(filter)}`,
        'event.list',
      );
      assert.equal(page.items.map((e) => e.title).sort(), [...titles].sort(), `filter ${filter}`);
      assert.is(page.meta.totalCount, titles.length, `totalCount for ${filter}`);
    }
  });

  test('filters organizers by name or e-mail, treating % _ [ and \\ literally', async () => {
    const cases: [string, string[]][] = [
      ['100%', ['100% Club']],
      ['CLUB', ['100% Club', '100x Club']],
      ['a_b', ['a_b Society']],
      ['[x]', ['Bracket [x] Co']],
      ['[', ['Bracket [x] Co']],
      ['\\', ['Back\\Slash Ltd']],
      ['%', ['100% Club']],
      ['_', ['a_b Society']],
      ['CAFÉ', ['Café Crème']],
      ['unique-mailbox@FILTER', ['Plain Name']],
      ["'; DROP TABLE organizers; --", []],
    ];

    for (const [filter, names] of cases) {
      const page = await getPage<OrganizerDocument>(
        api,
        `/organizer/all?pageSize=50&filter=${encodeURIComponent(filter)}`,
        'organizer.list',
      );
      assert.equal(page.items.map((o) => o.name).sort(), [...names].sort(), `filter ${filter}`);
    }
    const all = await getPage(api, '/organizer/all', 'organizer.list');
    assert.ok(all.meta.totalCount > 60, 'the organizers are all still there');
  });

  test('treats an empty filter as no filter', async () => {
    const none = await getPage(api, '/organizer/all', 'organizer.list');
    const empty = await getPage(api, '/organizer/all?filter=', 'organizer.list');

    assert.equal(empty.meta, none.meta);
  });

  test('lists, sorts and filters speakers', async () => {
    const names = (page: Page<SpeakerDocument>) => page.items.map((s) => s.name);

    const ascending = await getPage<SpeakerDocument>(
      api,
      '/speaker/all?filter=speaker',
      'speaker.list',
    );
    const descending = await getPage<SpeakerDocument>(
      api,
      '/speaker/all?filter=speaker&sortBy=name_desc',
      'speaker.list',
    );
    const byEmail = await getPage<SpeakerDocument>(
      api,
      '/speaker/all?filter=TALKS.example',
      'speaker.list',
    );

    assert.equal(names(ascending), ['Abel Speaker', 'Mona Speaker', 'Yara Speaker']);
    assert.equal(names(descending), ['Yara Speaker', 'Mona Speaker', 'Abel Speaker']);
    assert.equal(names(byEmail), ['Abel Speaker', 'Yara Speaker']);
    assert.is(ascending.meta.totalCount, 3);
  });

  test('lists, sorts, pages and filters the participants of an event', async () => {
    const path = `/participant/${data.crowdEvent.id}/all`;
    const expected = orders(data.crowd, (p) => p.name, false);

    const ascending = await allPages<ParticipantDocument>(
      api,
      path,
      'sortBy=name',
      2,
      'participant.listByEvent',
    );
    const descending = await getPage<ParticipantDocument>(
      api,
      `${path}?sortBy=name_desc&pageSize=50`,
      'participant.listByEvent',
    );
    const filtered = await getPage<ParticipantDocument>(
      api,
      `${path}?filter=CROWD3@`,
      'participant.listByEvent',
    );

    assertOneOf(ids(ascending), expected, 'name');
    assert.equal(ids(descending.items), [...(expected[0] ?? [])].reverse());
    assert.equal(ids(filtered.items), [data.crowd[3]?.id]);
    assert.equal(
      descending.items.find((p) => p.id === data.crowd[0]?.id),
      data.crowd[0],
    );
  });

  test('answers 400 VALIDATION_FAILED for invalid pageNumber, pageSize, sortBy or filter', async () => {
    const longFilter = 'x'.repeat(201);
    const cases: [string, string, string][] = [
      ['/organizer/all?pageNumber=0', 'organizer.list', 'pageNumber'],
      ['/organizer/all?pageNumber=-1', 'organizer.list', 'pageNumber'],
      ['/organizer/all?pageNumber=abc', 'organizer.list', 'pageNumber'],
      ['/organizer/all?pageNumber=1.5', 'organizer.list', 'pageNumber'],
      ['/organizer/all?pageNumber=1000001', 'organizer.list', 'pageNumber'],
      ['/organizer/all?pageNumber=99999999999999999999', 'organizer.list', 'pageNumber'],
      ['/organizer/all?pageSize=0', 'organizer.list', 'pageSize'],
      ['/organizer/all?pageSize=-5', 'organizer.list', 'pageSize'],
      ['/organizer/all?pageSize=2.5', 'organizer.list', 'pageSize'],
      ['/organizer/all?pageSize=ten', 'organizer.list', 'pageSize'],
      ['/organizer/all?sortBy=date', 'organizer.list', 'sortBy'],
      ['/organizer/all?sortBy=name;drop', 'organizer.list', 'sortBy'],
      [`/organizer/all?filter=${longFilter}`, 'organizer.list', 'filter'],
      ['/event/all?sortBy=name', 'event.list', 'sortBy'],
      ['/event/all?sortBy=id', 'event.list', 'sortBy'],
      ['/event/all?pageSize=0', 'event.list', 'pageSize'],
      ['/speaker/all?sortBy=title', 'speaker.list', 'sortBy'],
      ['/speaker/all?pageNumber=0', 'speaker.list', 'pageNumber'],
      [`/participant/${data.crowdEvent.id}/all?sortBy=date`, 'participant.listByEvent', 'sortBy'],
      [`/participant/${data.crowdEvent.id}/all?pageSize=-1`, 'participant.listByEvent', 'pageSize'],
    ];

    for (const [path, operationId, parameter] of cases) {
      const response = await api.get(path);

      const problem = assertProblem(response, 400, 'VALIDATION_FAILED');
      assertMatchesContract(operationId, response);
      const keys = Object.keys(problem.errors ?? {});
      assert.ok(
        keys.some((key) => key.endsWith(parameter)),
        `${path}: errors name ${parameter}: ${response.text}`,
      );
    }
  });

  test('answers 404 NOT_FOUND for the participants of an unknown event, whatever the query', async () => {
    const response = await api.get('/participant/2147483647/all?pageSize=5&sortBy=name_desc');

    assertProblem(response, 404, 'NOT_FOUND');
    assertMatchesContract('participant.listByEvent', response);
  });
});
