import { connect } from 'node:net';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

/** One request with fetch; the body is read whole. */
export async function request(
  url: string,
  options: { method?: string; body?: unknown; token?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  const response = await fetch(url, {
    method: options.method ?? 'GET',
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(30_000),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

export async function getJson<T>(url: string): Promise<T> {
  const answer = await request(url);
  if (answer.status !== 200)
    throw new Error(`GET ${url}: ${answer.status} ${answer.text.slice(0, 300)}`);
  return JSON.parse(answer.text) as T;
}

/** A response exactly as it came off the socket: status line, header lines in order, body. */
export interface RawResponse {
  status: string;
  headers: Array<[string, string]>;
  body: Buffer;
}

/** Headers uWebSockets.js adds by itself; a server replaying a response must not repeat them. */
const AUTOMATIC_HEADERS = new Set(['date', 'uwebsockets', 'content-length', 'connection']);

/** GET over a plain socket, to capture a response byte for byte (fetch normalises headers). */
export function rawGet(port: number, path: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw GET timed out')));
    socket.on('connect', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`),
    );
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) {
        reject(new Error('raw GET: no header end'));
        return;
      }
      const [statusLine = '', ...lines] = all.subarray(0, split).toString('latin1').split('\r\n');
      const headers: Array<[string, string]> = [];
      for (const line of lines) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon);
        if (!AUTOMATIC_HEADERS.has(name.toLowerCase()))
          headers.push([name, line.slice(colon + 1).trim()]);
      }
      resolve({
        status: statusLine.replace(/^HTTP\/1\.[01] /, ''),
        headers,
        body: all.subarray(split + 4),
      });
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
