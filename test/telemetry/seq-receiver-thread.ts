/** The HTTP side of SeqReceiver, in its own thread: parses Seq's two raw formats. */
import { createServer } from 'node:http';
import { parentPort } from 'node:worker_threads';

import type { SeqEvent, SeqReceiverMessage } from './seq-receiver.js';

const port = parentPort;
if (port === null) throw new Error('seq-receiver-thread runs as a worker');

const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' ? value : fallback;
const idOf = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function fromJsonBatch(body: string): SeqEvent[] {
  const batch = JSON.parse(body) as { Events: Record<string, unknown>[] };
  return batch.Events.map((event) => ({
    level: text(event['Level'], 'Information'),
    message: text(event['MessageTemplate'], ''),
    traceId: idOf(event['TraceId']),
    spanId: idOf(event['SpanId']),
    properties: (event['Properties'] as Record<string, unknown> | undefined) ?? {},
    raw: JSON.stringify(event),
  }));
}

function fromClef(body: string): SeqEvent[] {
  return body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      const properties = Object.fromEntries(
        Object.entries(event).filter(([key]) => !key.startsWith('@')),
      );
      return {
        level: text(event['@l'], 'Information'),
        message: text(event['@mt'], text(event['@m'], '')),
        traceId: idOf(event['@tr']),
        spanId: idOf(event['@sp']),
        properties,
        raw: line,
      };
    });
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.method !== 'POST' || req.url?.split('?')[0] !== '/api/events/raw') {
      res.writeHead(404).end();
      return;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const isClef =
      (req.headers['content-type'] ?? '').includes('clef') || (req.url ?? '').includes('clef');
    let events: SeqEvent[];
    try {
      events = isClef ? fromClef(body) : fromJsonBatch(body);
    } catch {
      res.writeHead(400).end();
      return;
    }
    port.postMessage({ type: 'batch', headers: req.headers, events } satisfies SeqReceiverMessage);
    res.writeHead(201, { 'content-type': 'application/json' }).end('{}');
  });
});

port.on('message', (message: { type: 'settle'; id: number }) => {
  port.postMessage({ type: 'settled', id: message.id } satisfies SeqReceiverMessage);
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : 0;
  port.postMessage({ type: 'listening', port: bound } satisfies SeqReceiverMessage);
});
