import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeEnvelope, encodeEnvelope } from '../../src/cache/document-envelope.js';

const test = suite('document envelope');

const document = { body: Buffer.from('{"id":42,"title":"Évènement"}'), etag: '"a1b2"' };

test('round-trips the epoch, token, entity tag and body bytes', () => {
  const decoded = decodeEnvelope(encodeEnvelope('epoch.e1', 'node.7', document));

  assert.ok(decoded !== null);
  assert.is(decoded.epoch, 'epoch.e1');
  assert.is(decoded.token, 'node.7');
  assert.is(decoded.document.etag, '"a1b2"');
  assert.ok(decoded.document.body.equals(document.body));
});

test('decodes every truncation of a valid envelope as nothing, never throwing', () => {
  const whole = encodeEnvelope('epoch', 'token', document);
  const headLength = whole.length - document.body.length;

  for (let length = 0; length < headLength; length++) {
    assert.is(decodeEnvelope(whole.subarray(0, length)), null, `${length} bytes`);
  }
});

test('decodes foreign values as nothing', () => {
  for (const value of ['{"id":42}', '', 'OK', '\u00ef\u00ca']) {
    assert.is(decodeEnvelope(Buffer.from(value)), null, value);
  }
  const otherFormat = encodeEnvelope('e', 't', document);
  otherFormat[2] = 2;
  assert.is(decodeEnvelope(otherFormat), null);
});

test.run();
