import { loadConfig, type Config } from '../../src/config.js';
import { startApi, type RunningApi } from '../../src/server/api.js';
import { createLogger } from '../../src/telemetry/logger.js';

export interface TestResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON when the response is JSON, the text otherwise, null when empty. */
  body: any;
  text: string;
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as-is (no JSON encoding, no content type unless given in headers). */
  rawBody?: string | Uint8Array;
  token?: string;
  headers?: Record<string, string>;
}

export interface TestServer {
  baseUrl: string;
  api: RunningApi;
  config: Config;
  request(method: string, path: string, options?: RequestOptions): Promise<TestResponse>;
  /** Registers a fresh user and returns a bearer token for it. */
  login(): Promise<string>;
  stop(): Promise<void>;
}

let userCounter = 0;

/**
 * Starts the real API in this process (uWS front end, piscina workers, real database) on a
 * free port. `env` adds variables on top of a quiet test configuration.
 */
export async function startTestServer(options: {
  databaseUrl: string;
  env?: Record<string, string>;
}): Promise<TestServer> {
  const config = loadConfig({
    PORT: '0',
    DATABASE_URL: options.databaseUrl,
    LOG_LEVEL: 'silent',
    WORKERS: '2',
    ...options.env,
  });
  const api = await startApi(config, createLogger({ level: config.logLevel, thread: 'main' }));
  const baseUrl = `http://127.0.0.1:${api.port}`;

  const request = async (method: string, path: string, opts: RequestOptions = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    let body: string | Uint8Array | undefined = opts.rawBody;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`;

    const response = await fetch(baseUrl + path, { method, headers, body });
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    const parsed = text !== '' && type.includes('json') ? (JSON.parse(text) as unknown) : null;
    return {
      status: response.status,
      headers: response.headers,
      body: parsed ?? (text || null),
      text,
    };
  };

  const login = async () => {
    userCounter++;
    const email = `user${process.pid}x${userCounter}x${Date.now()}@example.test`;
    const password = 'correct horse battery staple';
    const registered = await request('POST', '/authentication/register', {
      body: { username: `user ${userCounter}`, email, password },
    });
    if (registered.status !== 201) throw new Error(`register failed: ${registered.text}`);

    const loggedIn = await request('POST', '/authentication/login', { body: { email, password } });
    if (loggedIn.status !== 200) throw new Error(`login failed: ${loggedIn.text}`);
    return (loggedIn.body as { token: string }).token;
  };

  return { baseUrl, api, config, request, login, stop: () => api.close(2000) };
}
