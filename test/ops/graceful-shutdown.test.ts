import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { OtlpReceiver } from '../telemetry/otlp-receiver.js';
import { SeqReceiver } from '../telemetry/seq-receiver.js';
import {
  exitWithin,
  logLines,
  startApiProcess,
  STRONG_SECRET,
  waitUntilReady,
  type ApiProcess,
} from './support/api-process.js';

/**
 * Graceful shutdown of the real process (`node dist/src/main.js`): on SIGTERM it stops
 * accepting connections, lets every in-flight request finish with its normal status,
 * closes its pools, flushes its logs (stdout and Seq) and traces (OTLP) and exits 0, and idle
 * keep-alive connections do not hold it open.
 *
 * The in-flight requests are registrations: each hashes a password with scrypt in a worker
 * (about 0.3 s), and with two workers a batch of them takes well over a second, so SIGTERM
 * lands while most are queued or running.
 */

const IN_FLIGHT = 6;
const PASSWORD = 'correct horse battery staple';

interface Reply {
  status: number;
  body: string;
  at: number;
  traceId: string;
}

/** A POST over its own keep-alive connection; resolves once the whole reply is read. */
function post(
  agent: Agent,
  port: number,
  path: string,
  body: unknown,
): { sent: Promise<void>; reply: Promise<Reply> } {
  let markSent!: () => void;
  const sent = new Promise<void>((resolve) => (markSent = resolve));
  const reply = new Promise<Reply>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve(replyOf(res.statusCode, res.headers, text)));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.on('finish', markSent);
    req.end(payload);
  });
  return { sent, reply };
}

function get(agent: Agent, port: number, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ agent, host: '127.0.0.1', port, path }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(replyOf(res.statusCode, res.headers, text)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Tries a fresh TCP connection: 'refused', or 'accepted' (then closes it). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve('accepted');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      resolve(error.code === 'ECONNREFUSED' ? 'refused' : String(error.code));
    });
  });
}

function replyOf(
  status: number | undefined,
  headers: Record<string, string | string[] | undefined>,
  body: string,
): Reply {
  const traceId = headers['x-trace-id'];
  return {
    status: status ?? 0,
    body,
    at: Date.now(),
    traceId: typeof traceId === 'string' ? traceId : '',
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const test = suite('graceful shutdown');

let api: ApiProcess | undefined;
let restarted: ApiProcess | undefined;
/** Filled by the first test: the addresses registered while shutting down. */
const drainEmails: string[] = [];

const otlp = new OtlpReceiver();
const seq = new SeqReceiver();

test.before(async () => {
  await otlp.listen();
  await seq.listen();
});

test.after(async () => {
  await restarted?.cleanup();
  await api?.cleanup();
  await otlp.close();
  await seq.close();
});

test('SIGTERM: in-flight requests finish, new connections are refused, exit 0', async () => {
  api = await startApiProcess({
    NODE_ENV: 'production',
    JWT_SECRET: STRONG_SECRET,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
    // Longer than the test: spans reach the receiver only through the shutdown flush.
    OTEL_BSP_SCHEDULE_DELAY: '60000',
    OTEL_METRICS_EXPORTER: 'none',
    SEQ_URL: seq.url,
  });
  await waitUntilReady(api);
  const port = api.port;

  // An idle keep-alive connection that must not keep the process alive.
  const idle = new Agent({ keepAlive: true, maxSockets: 1 });
  assert.is((await get(idle, port, '/health/live')).status, 200);

  const busy = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  const emails = Array.from(
    { length: IN_FLIGHT },
    (_, i) => `drain${i}.${Date.now()}@example.test`,
  );
  drainEmails.push(...emails);
  const requests = emails.map((email, i) =>
    post(busy, port, '/authentication/register', {
      username: `drain ${i}`,
      email,
      password: PASSWORD,
    }),
  );
  await Promise.all(requests.map((r) => r.sent));
  await sleep(100); // the server has read them: loopback, a few hundred bytes each

  const completed: Reply[] = [];
  for (const r of requests)
    void r.reply.then(
      (reply) => completed.push(reply),
      () => undefined,
    );
  const signalledAt = Date.now();
  api.child.kill('SIGTERM');
  const pendingAtSignal = IN_FLIGHT - completed.length;

  // New connections are refused while the in-flight requests are still being served.
  let refusal: { outcome: string; alive: boolean; pending: number } | undefined;
  for (let attempt = 0; attempt < 100 && refusal === undefined; attempt++) {
    const outcome = await tryConnect(port);
    if (outcome !== 'accepted') {
      refusal = {
        outcome,
        alive: api.child.exitCode === null && api.child.signalCode === null,
        pending: IN_FLIGHT - completed.length,
      };
    } else {
      await sleep(10);
    }
  }

  const replies = await Promise.all(requests.map((r) => r.reply));
  const lastReplyAt = Math.max(...replies.map((r) => r.at));
  const { code, signal } = await exitWithin(api, 15_000);
  const exitedAt = Date.now();
  idle.destroy();
  busy.destroy();

  assert.ok(pendingAtSignal >= 3, `requests were in flight at SIGTERM (${pendingAtSignal})`);
  assert.ok(refusal, 'a new connection was refused after SIGTERM');
  assert.is(refusal?.outcome, 'refused');
  assert.ok(
    refusal?.alive,
    'refused while the process was still draining, not because it had gone',
  );
  assert.ok((refusal?.pending ?? 0) > 0, 'refused while requests were still in flight');

  for (const [i, reply] of replies.entries()) {
    assert.is(reply.status, 201, `in-flight request ${i}: ${reply.body}`);
    assert.is(JSON.parse(reply.body).email, emails[i]);
  }

  assert.is(signal, null, 'not killed by a signal');
  assert.is(code, 0, `exit code (stderr: ${api.stderr()})`);
  assert.ok(exitedAt - lastReplyAt < 5_000, 'the idle keep-alive connection did not hold it open');
  assert.ok(exitedAt - signalledAt < 10_000, 'within the drain budget');

  // Logs were flushed before exit: the last line the server writes is there.
  const lines = logLines(api);
  const stopped = lines.find((line) => line.msg === 'stopped');
  assert.ok(lines.some((line) => line.msg === 'shutting down' && line.signal === 'SIGTERM'));
  assert.ok(stopped, 'the "stopped" line reached stdout');
  assert.is(stopped?.unfinished, 0, 'no request was left unfinished');

  // Traces and Seq lines of the drained requests were flushed before exit too.
  await seq.settle();
  for (const reply of replies) {
    assert.match(reply.traceId, /^[0-9a-f]{32}$/);
    const spans = otlp.trace(reply.traceId);
    assert.ok(
      spans.some((span) => span.parentSpanId === '' && span.name.startsWith('POST')),
      `server span of ${reply.traceId} exported at shutdown`,
    );
    assert.ok(
      seq.events.some((e) => e.message === 'request completed' && e.traceId === reply.traceId),
      `completion line of ${reply.traceId} in Seq`,
    );
  }
});

test('the in-flight registrations were committed: each account can log in', async () => {
  if (api === undefined) return assert.unreachable('the first test did not start the API');
  restarted = await startApiProcess({
    NODE_ENV: 'production',
    JWT_SECRET: STRONG_SECRET,
    DATABASE_URL: api.databaseUrl,
  });
  await waitUntilReady(restarted);
  const agent = new Agent({ keepAlive: false });
  const port = restarted.port;
  const results = await Promise.all(
    drainEmails.map(
      (email) => post(agent, port, '/authentication/login', { email, password: PASSWORD }).reply,
    ),
  );
  assert.is(results.length, IN_FLIGHT);
  for (const [i, result] of results.entries()) {
    assert.is(result.status, 200, `login ${drainEmails[i]}: ${result.body}`);
  }

  restarted.child.kill('SIGTERM');
  assert.is((await exitWithin(restarted, 15_000)).code, 0);
});

test.run();
