import * as assert from 'uvu/assert';

import type { ListQuery } from '../../src/domain/types.js';
import { dialectSuites, eventBody, futureDate } from './db-fixture.js';

function query(overrides: Partial<ListQuery> = {}): ListQuery {
  return { pageNumber: 1, pageSize: 50, sortBy: 'name', filter: null, ...overrides };
}

await dialectSuites('list queries', (test, fixture) => {
  let organizerId = 0;
  const titles = [
    '100% Fun',
    '100 Fun',
    'a_b meetup',
    'aXb meetup',
    'Back\\slash',
    '[ab] brackets',
    'b brackets',
    'ÉCOLE Day',
  ];

  test.before(async () => {
    organizerId = await fixture.organizer('Lists Organizer');
    for (const [index, title] of titles.entries()) {
      await fixture.create(
        'event.create',
        eventBody(organizerId, { title, date: futureDate(100 + index), location: 'Porto' }),
      );
    }
  });

  async function eventTitles(filter: string): Promise<string[]> {
    const result = await fixture.ok('event.list', { query: query({ sortBy: 'title', filter }) });
    return (result.value as Array<{ title: string }>).map((event) => event.title).sort();
  }

  test('matches % _ \\ and [ literally in filters', async () => {
    assert.equal(await eventTitles('100%'), ['100% Fun']);
    assert.equal(await eventTitles('a_b'), ['a_b meetup']);
    assert.equal(await eventTitles('k\\s'), ['Back\\slash']);
    assert.equal(await eventTitles('[ab]'), ['[ab] brackets']);
    assert.equal(await eventTitles("'; drop table events; --"), []);
  });

  test('filters case-insensitively, also beyond ASCII', async () => {
    assert.equal(await eventTitles('MEETUP'), ['aXb meetup', 'a_b meetup']);
    assert.equal(await eventTitles('école'), ['ÉCOLE Day']);
  });

  test('filters events by location too', async () => {
    const result = await fixture.ok('event.list', {
      query: query({ sortBy: 'date', filter: 'PORTO' }),
    });
    assert.is(result.page?.totalCount, titles.length);
  });

  test('sorts events by date and title both ways, ties broken by id', async () => {
    const owner = await fixture.organizer();
    const date = futureDate(500);
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push(
        await fixture.create(
          'event.create',
          eventBody(owner, { title: 'Same Tie', date, location: 'Tie Town' }),
        ),
      );
    }

    const list = async (sortBy: string) => {
      const result = await fixture.ok('event.list', {
        query: query({ sortBy, filter: 'Tie Town' }),
      });
      return (result.value as Array<{ id: number }>).map((event) => event.id);
    };
    assert.equal(await list('date'), ids);
    assert.equal(await list('date_desc'), [...ids].reverse());
    assert.equal(await list('title'), ids);
    assert.equal(await list('title_desc'), [...ids].reverse());

    const byDate = await fixture.ok('event.list', {
      query: query({ sortBy: 'date', filter: 'Porto' }),
    });
    const dates = (byDate.value as Array<{ date: string }>).map((event) => event.date);
    assert.equal(dates, [...dates].sort());
  });

  test('pages with ties without overlap or gaps, and past the end is empty', async () => {
    const names: string[] = [];
    for (let i = 0; i < 7; i++) names.push(`Paging ${i % 2}`);
    const ids: number[] = [];
    for (const name of names) ids.push(await fixture.speaker(name));

    const seen: number[] = [];
    for (let pageNumber = 1; pageNumber <= 4; pageNumber++) {
      const result = await fixture.ok('speaker.list', {
        query: query({ pageNumber, pageSize: 2, filter: 'paging' }),
      });
      assert.equal(result.page, { totalCount: 7, pageNumber, pageSize: 2 });
      seen.push(...(result.value as Array<{ id: number }>).map((speaker) => speaker.id));
    }

    const expected = [...ids.filter((_, i) => i % 2 === 0), ...ids.filter((_, i) => i % 2 === 1)];
    assert.equal(seen, expected);

    const beyond = await fixture.ok('speaker.list', {
      query: query({ pageNumber: 99, pageSize: 2, filter: 'paging' }),
    });
    assert.equal(beyond.value, []);
    assert.is(beyond.page?.totalCount, 7);
  });

  test('sorts organizers and participants by name both ways and filters by e-mail', async () => {
    await fixture.create('organizer.create', { name: 'Zed Org', email: 'zed@filter.example' });
    await fixture.create('organizer.create', { name: 'Amy Org', email: 'amy@filter.example' });

    const names = async (sortBy: string) => {
      const result = await fixture.ok('organizer.list', {
        query: query({ sortBy, filter: '@FILTER.example' }),
      });
      return (result.value as Array<{ name: string; events: unknown[] }>).map(
        (organizer) => organizer.name,
      );
    };
    assert.equal(await names('name'), ['Amy Org', 'Zed Org']);
    assert.equal(await names('name_desc'), ['Zed Org', 'Amy Org']);

    const withEvents = await fixture.ok('organizer.list', {
      query: query({ filter: 'Lists Organizer' }),
    });
    const [listed] = withEvents.value as Array<{ events: unknown[] }>;
    assert.is(listed?.events.length, titles.length, 'organizer pages embed their events');
  });

  test('uses defaults and clamps the page size for direct callers', async () => {
    const result = await fixture.ok('event.list', {
      query: query({ pageSize: 500, sortBy: 'bogus' }),
    });
    assert.is(result.page?.pageSize, 50);
    const defaults = await fixture.ok('speaker.list');
    assert.equal([defaults.page?.pageNumber, defaults.page?.pageSize], [1, 10]);
  });
});
