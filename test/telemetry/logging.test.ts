import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import Database from 'better-sqlite3';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

import { loadConfig } from '../../src/config.js';
import { type RunningApi, startApi } from '../../src/server/api.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { OtlpReceiver } from './otlp-receiver.js';
import { SeqReceiver } from './seq-receiver.js';

/** Collects the JSON lines a logger writes. */
class LineCapture extends Writable {
  readonly lines: Record<string, any>[] = [];
  text = '';

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    const text = chunk.toString();
    this.text += text;
    for (const line of text.split('\n')) if (line.trim() !== '') this.lines.push(JSON.parse(line));
    done();
  }
}

const PASSWORD = 'Very-Secret-Passphrase-8231';
const WRONG_PASSWORD = 'Wrong-Passphrase-5519';
const SEQ_API_KEY = 'seq-key-7720';

const logging = suite('logging');
const capture = new LineCapture();
const seq = new SeqReceiver();
const otlp = new OtlpReceiver();
let folder: string;
let api: RunningApi;
let baseUrl: string;
let token: string;
const traceIds: Record<string, string> = {};

async function call(method: string, path: string, body?: unknown, bearer?: string) {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (bearer !== undefined) headers.authorization = `Bearer ${bearer}`;
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, traceId: response.headers.get('x-trace-id') ?? '', text };
}

logging.before(async () => {
  await seq.listen();
  await otlp.listen();
  folder = mkdtempSync(join(tmpdir(), 'eventflow-logging-'));
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: `sqlite:${join(folder, 'eventflow.db')}`,
    LOG_LEVEL: 'info',
    WORKERS: '2',
    SEQ_URL: seq.url,
    SEQ_API_KEY,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
    OTEL_METRICS_EXPORTER: 'none',
    EVENTFLOW_TRACE_HIT_RATIO: '1',
  });
  const seqTarget = { url: seq.url, apiKey: SEQ_API_KEY };
  const log = createLogger({ level: 'info', thread: 'main', destination: capture, seq: seqTarget });
  api = await startApi(config, log);
  baseUrl = `http://127.0.0.1:${api.port}`;

  const email = 'logging-user@example.test';
  const registered = await call('POST', '/authentication/register', {
    username: 'logging user',
    email,
    password: PASSWORD,
  });
  assert.is(registered.status, 201, registered.text);
  traceIds.register = registered.traceId;
  const wrong = await call('POST', '/authentication/login', { email, password: WRONG_PASSWORD });
  assert.is(wrong.status, 401);
  traceIds.wrongLogin = wrong.traceId;
  const login = await call('POST', '/authentication/login', { email, password: PASSWORD });
  assert.is(login.status, 200);
  token = (JSON.parse(login.text) as { token: string }).token;
  traceIds.login = login.traceId;
  traceIds.data = (await call('GET', '/authentication/data', undefined, token)).traceId;
  traceIds.badToken = (await call('GET', '/authentication/data', undefined, `${token}x`)).traceId;

  const organizer = await call(
    'POST',
    '/organizer',
    { name: 'Log Org', email: 'org@example.test' },
    token,
  );
  const organizerId = (JSON.parse(organizer.text) as { id: number }).id;
  traceIds.miss = (await call('GET', `/organizer/${organizerId}`)).traceId;
  traceIds.hit = (await call('GET', `/organizer/${organizerId}`)).traceId;

  const database = new Database(join(folder, 'eventflow.db'));
  database.pragma('foreign_keys = OFF');
  database.exec('DROP TABLE event_speakers; DROP TABLE speakers;');
  database.close();
  traceIds.failure = (await call('GET', '/speaker/1')).traceId;

  // Closing flushes: spans to OTLP, the workers' and the main thread's lines to Seq.
  await api.close(2000);
  await seq.settle();
});

logging.after(async () => {
  await seq.close();
  await otlp.close();
  rmSync(folder, { recursive: true, force: true });
});

function completionLine(traceId: string): Record<string, any> {
  const line = capture.lines.find((l) => l.msg === 'request completed' && l.trace_id === traceId);
  assert.ok(line !== undefined, `completion line for ${traceId}`);
  return line;
}

logging('every traced request ends with one completion line carrying its trace', () => {
  const miss = completionLine(traceIds.miss as string);
  assert.is(miss.level, 'info');
  assert.is(miss.thread, 'main');
  assert.is(miss.method, 'GET');
  assert.is(miss.route, '/organizer/{id}');
  assert.is(miss.status, 200);
  assert.is(miss.cache, 'miss');
  assert.type(miss.durationMs, 'number');
  assert.match(miss.span_id, /^[0-9a-f]{16}$/);

  const server = otlp.trace(traceIds.miss as string).find((s) => s.kind === 2);
  assert.is(miss.span_id, server?.spanId, 'span_id is the server span');
  assert.is(completionLine(traceIds.hit as string).cache, 'hit');
  assert.is(completionLine(traceIds.wrongLogin as string).status, 401);
  assert.is(capture.lines.filter((l) => l.trace_id === traceIds.hit).length, 1);
});

logging('a 5xx completes at error level', () => {
  const line = completionLine(traceIds.failure as string);
  assert.is(line.status, 500);
  assert.is(line.level, 'error');
});

logging('no password, token or hash reaches a line, on stdout or in Seq', () => {
  const everything = capture.text + seq.events.map((e) => e.raw).join('\n');
  assert.ok(everything.length > 0);
  for (const secret of [PASSWORD, WRONG_PASSWORD, token, SEQ_API_KEY, '$scrypt', 'scrypt$']) {
    assert.not.ok(everything.includes(secret), `leaked ${secret.slice(0, 12)}...`);
  }
});

logging('redaction covers credentials passed in by mistake, nested too', () => {
  const lines = new LineCapture();
  const log = createLogger({ level: 'info', thread: 'main', destination: lines });
  log.info(
    {
      password: 'p1',
      body: { password: 'p2', newPassword: 'p3', currentPassword: 'p4' },
      req: { headers: { authorization: 'Bearer t1', cookie: 'c1' }, body: { password: 'p5' } },
      user: { passwordHash: 'h1', password_hash: 'h2' },
      token: 't2',
      config: { seqApiKey: 'k1', jwt: { secret: 's1' } },
    },
    'careless line',
  );
  for (const secret of ['p1', 'p2', 'p3', 'p4', 'p5', 't1', 't2', 'c1', 'h1', 'h2', 'k1', 's1']) {
    assert.not.ok(lines.text.includes(`"${secret}"`), `${secret} leaked: ${lines.text}`);
  }
  assert.ok(lines.text.includes('[redacted]'));
});

logging('Seq receives the request lines with their trace ids, and the API key', () => {
  assert.ok(seq.headers.every((h) => h['x-seq-apikey'] === SEQ_API_KEY));
  const completed = seq.events.filter((e) => e.message === 'request completed');
  for (const name of ['miss', 'hit', 'login', 'data', 'failure']) {
    const traceId = traceIds[name] as string;
    const event = completed.find((e) => e.traceId === traceId);
    assert.ok(event !== undefined, `${name} completion in Seq`);
    assert.is(event.properties['trace_id'], traceId);
    assert.match(String(event.spanId), /^[0-9a-f]{16}$/);
  }
  const failure = completed.find((e) => e.traceId === traceIds.failure);
  assert.is(failure?.level, 'Error');
  assert.is(completed.find((e) => e.traceId === traceIds.hit)?.level, 'Information');
});

logging('a worker line written inside a request carries that request trace, in Seq too', () => {
  const failed = seq.events.find(
    (e) => e.message === 'operation failed' && e.traceId === traceIds.failure,
  );
  assert.ok(
    failed !== undefined,
    `worker line in Seq: ${seq.events.map((e) => e.message).join(', ')}`,
  );
  assert.is(failed.properties['thread'], 'worker');
  assert.is(failed.level, 'Error');
  const useCase = otlp.trace(traceIds.failure as string).find((s) => s.name === 'speaker.get');
  assert.is(failed.spanId, useCase?.spanId, 'span id of the use-case span');
});

logging.run();
