import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import * as assert from 'uvu/assert';

import { loadConfig } from '../../src/config.js';
import { type RunningApi, startApi } from '../../src/server/api.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { OtlpReceiver } from './otlp-receiver.js';

/** A server on a fresh SQLite file exporting to an in-process OTLP receiver. */
export interface TracedServer {
  server: TestServer;
  receiver: OtlpReceiver;
  folder: string;
  databaseFile: string;
  token: string;
  stop(): Promise<void>;
}

/** Exports quickly (tests wait for spans) and traces every hit unless `env` says otherwise. */
export async function startTracedServer(env: Record<string, string> = {}): Promise<TracedServer> {
  const receiver = new OtlpReceiver();
  await receiver.listen();
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-telemetry-'));
  const databaseFile = join(folder, 'eventflow.db');
  const server = await startTestServer({
    databaseUrl: `sqlite:${databaseFile}`,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
      OTEL_SERVICE_NAME: 'eventflow-test',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      OTEL_BSP_SCHEDULE_DELAY: '20',
      OTEL_METRICS_EXPORTER: 'none',
      EVENTFLOW_TRACE_HIT_RATIO: '1',
      ...env,
    },
  });
  const token = await server.login();

  return {
    server,
    receiver,
    folder,
    databaseFile,
    token,
    async stop() {
      await server.stop();
      await receiver.close();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

let counter = 0;

/** Creates an organizer and an event through the API; returns the event id. */
export async function createEvent(
  server: TestServer,
  token: string,
  title?: string,
): Promise<number> {
  counter++;
  const organizer = await server.request('POST', '/organizer', {
    token,
    body: { name: `Organizer ${counter}`, email: `organizer${counter}@example.test` },
  });
  if (organizer.status !== 201) throw new Error(`organizer: ${organizer.text}`);

  const event = await server.request('POST', '/event', {
    token,
    body: {
      title: title ?? `Telemetry event ${counter}`,
      date: '2090-06-01T10:00:00.000Z',
      location: 'Lisboa',
      organizerId: organizer.body.id,
    },
  });
  if (event.status !== 201) throw new Error(`event: ${event.text}`);
  return event.body.id as number;
}

export function traceIdOf(response: { headers: Headers }): string {
  const traceId = response.headers.get('x-trace-id');
  if (traceId === null) throw new Error('no X-Trace-Id');
  return traceId;
}

/** Collects the JSON lines a logger writes. */
export class LineCapture extends Writable {
  readonly lines: Record<string, any>[] = [];

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() !== '') this.lines.push(JSON.parse(line));
    }
    done();
  }

  /** The `request completed` lines of one trace. */
  completions(traceId: string): Record<string, any>[] {
    return this.lines.filter(
      (line) => line.msg === 'request completed' && line.trace_id === traceId,
    );
  }
}

/** A server whose main-thread log lines (LOG_LEVEL info) are captured instead of printed. */
export interface LoggedServer {
  api: RunningApi;
  log: LineCapture;
  folder: string;
  request(method: string, path: string, body?: unknown, token?: string): Promise<LoggedResponse>;
  stop(): Promise<void>;
}

export interface LoggedResponse {
  status: number;
  headers: Headers;
  text: string;
  traceId: string;
}

export async function startLoggedServer(env: Record<string, string>): Promise<LoggedServer> {
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-telemetry-'));
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: `sqlite:${join(folder, 'eventflow.db')}`,
    LOG_LEVEL: 'info',
    WORKERS: '2',
    OTEL_METRICS_EXPORTER: 'none',
    ...env,
  });
  const log = new LineCapture();
  const api = await startApi(
    config,
    createLogger({ level: 'info', thread: 'main', destination: log }),
  );
  const baseUrl = `http://127.0.0.1:${api.port}`;

  const request = async (method: string, path: string, body?: unknown, token?: string) => {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const response = await fetch(baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      text,
      traceId: traceIdOf(response),
    };
  };

  return {
    api,
    log,
    folder,
    request,
    async stop() {
      await api.close(2000);
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** One sample of the Prometheus text format. */
export interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text format: every sample line, comments checked. */
export function parsePrometheus(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      assert.match(line, /^# (HELP|TYPE) [a-z_:][a-z0-9_:]* /i);
      continue;
    }
    const match = /^([a-z_:][a-z0-9_:]*)(?:\{(.*)\})? (\S+)$/i.exec(line);
    assert.ok(match !== null, `sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/([a-z_][a-z0-9_]*)="((?:[^"\\]|\\.)*)"/gi)) {
      labels[pair[1] as string] = (pair[2] as string).replace(/\\(.)/g, '$1');
    }
    series.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return series;
}

/** The sum of every sample of `name` whose labels include `labels`. */
export function valueOf(all: Series[], name: string, labels: Record<string, string> = {}): number {
  const found = all.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.reduce((sum, s) => sum + s.value, 0);
}

/** GET /metrics from `baseUrl`, parsed. */
export async function scrapeMetrics(baseUrl: string): Promise<Series[]> {
  const response = await fetch(`${baseUrl}/metrics`);
  assert.is(response.status, 200);
  return parsePrometheus(await response.text());
}
