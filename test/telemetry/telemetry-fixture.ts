import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
