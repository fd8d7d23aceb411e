import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { formatDatabaseDate, parseEventDate, toDatabaseDate } from '../../src/domain/dates.js';
import { checkFutureDate } from '../../src/domain/rules.js';

const parse = suite('parseEventDate');

const ACCEPTED: Array<[input: string, iso: string]> = [
  ['2027-03-14T18:30:00Z', '2027-03-14T18:30:00.000Z'],
  ['2027-03-14T18:30:00.000Z', '2027-03-14T18:30:00.000Z'],
  ['2027-03-14T18:30Z', '2027-03-14T18:30:00.000Z'],
  ['2027-03-14T18:30:00.5Z', '2027-03-14T18:30:00.500Z'],
  ['2027-03-14T18:30:00.123456789Z', '2027-03-14T18:30:00.123Z'],
  ['2027-03-14T18:30:00+02:00', '2027-03-14T16:30:00.000Z'],
  ['2027-03-14T18:30+02:00', '2027-03-14T16:30:00.000Z'],
  ['2027-03-14T18:30:00.250-05:30', '2027-03-15T00:00:00.250Z'],
  ['2027-03-14T01:00:00+0300', '2027-03-13T22:00:00.000Z'],
  ['2027-03-14', '2027-03-14T00:00:00.000Z'],
  ['2028-02-29', '2028-02-29T00:00:00.000Z'],
  ['14/03/2027', '2027-03-14T00:00:00.000Z'],
  ['29/02/2028', '2028-02-29T00:00:00.000Z'],
  ['31/12/2027', '2027-12-31T00:00:00.000Z'],
  ['0050-06-01', '0050-06-01T00:00:00.000Z'],
];

const REJECTED = [
  '',
  'tomorrow',
  '31/02/2027',
  '29/02/2027',
  '2027-02-30',
  '2027-13-01',
  '2027-00-10',
  '2027-03-00',
  '13/13/2027',
  '2027-03-14T24:00:00Z',
  '2027-03-14T18:60:00Z',
  '2027-03-14T18:30:60Z',
  '2027-03-14T18:30:00',
  '2027-03-14 18:30:00Z',
  '2027-03-14T18:30:00+25:00',
  '2027-03-14T18:30:00+02:60',
  '14/3/2027',
  '2027/03/14',
  '03-14-2027',
  ' 2027-03-14',
  '2027-03-14 ',
  '+012027-03-14',
  '0000-01-01',
  '9999-12-31T23:00:00-05:00',
  '1710441000000',
];

parse('accepts ISO 8601 with Z or an offset, bare dates and dd/MM/yyyy', () => {
  for (const [input, iso] of ACCEPTED) {
    assert.is(parseEventDate(input)?.toISOString(), iso, input);
  }
});

parse('rejects impossible dates and every other format', () => {
  for (const input of REJECTED) {
    assert.is(parseEventDate(input), null, input);
  }
});

const columns = suite('date columns');

columns('bind ISO text that sorts as time on SQLite and PostgreSQL', () => {
  const date = new Date('2027-03-14T18:30:00.123Z');
  assert.is(toDatabaseDate(date, 'sqlite'), '2027-03-14T18:30:00.123Z');
  assert.is(toDatabaseDate(date, 'postgres'), '2027-03-14T18:30:00.123Z');
});

columns('bind zone-less ISO text for datetime2 on SQL Server', () => {
  assert.is(
    toDatabaseDate(new Date('2027-03-14T18:30:00.123Z'), 'mssql'),
    '2027-03-14T18:30:00.123',
  );
});

columns('read Date and ISO text values back as the wire form', () => {
  assert.is(formatDatabaseDate('2027-03-14T18:30:00.123Z'), '2027-03-14T18:30:00.123Z');
  assert.is(formatDatabaseDate(new Date(Date.UTC(2027, 2, 14))), '2027-03-14T00:00:00.000Z');
});

const rule = suite('checkFutureDate');
const now = new Date('2030-01-01T00:00:00.000Z');

rule('accepts a date after now', () => {
  assert.is(checkFutureDate(new Date('2030-01-01T00:00:00.001Z'), now), null);
});

rule('refuses now and the past with a field error on date', () => {
  for (const date of [now, new Date('2029-06-01T00:00:00Z')]) {
    const failure = checkFutureDate(date, now);
    assert.is(failure?.code, 'VALIDATION_FAILED');
    assert.equal(failure?.errors, { date: ['must be in the future'] });
  }
});

rule('accepts an unchanged past date on update', () => {
  const past = new Date('2029-06-01T00:00:00Z');
  assert.is(checkFutureDate(new Date(past), now, past), null);
  assert.is(
    checkFutureDate(new Date('2029-06-02T00:00:00Z'), now, past)?.code,
    'VALIDATION_FAILED',
  );
});

parse.run();
columns.run();
rule.run();
