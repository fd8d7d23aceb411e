import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Runs the real, compiled API (`node dist/src/main.js`) as a child process, the way the
 * container does, with an environment built from scratch (nothing inherited but PATH).
 */

export const MAIN = join(process.cwd(), 'dist', 'src', 'main.js');

/** A 48-byte secret, like `openssl rand -base64 36` gives. */
export const STRONG_SECRET = 'Vt3qZ8pL0sWm6yRb2nXc9hJd4kFa7gUe1oTi5wQr8zNv3mHl';

export interface ApiProcess {
  child: ChildProcess;
  port: number;
  databaseUrl: string;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal name) once the process has ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Kills the process if it is still running and removes its data folder. */
  cleanup(): Promise<void>;
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export async function startApiProcess(env: Record<string, string>): Promise<ApiProcess> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run npm run build first`);
  const folder = mkdtempSync(join(tmpdir(), 'eventflow-ops-'));
  const port = await freePort();
  const databaseUrl = env.DATABASE_URL ?? `sqlite:${join(folder, 'eventflow.db')}`;
  const child = spawn(process.execPath, [MAIN], {
    cwd: process.cwd(),
    env: {
      PATH: process.env.PATH ?? '',
      PORT: String(port),
      WORKERS: '2',
      LOG_LEVEL: 'info',
      ...env,
      DATABASE_URL: databaseUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  return {
    child,
    port,
    databaseUrl,
    stdout: () => out,
    stderr: () => err,
    exited,
    async cleanup() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Waits for an exit, failing after `ms`. */
export async function exitWithin(
  api: ApiProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the API did not exit within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([api.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls /health/ready until it answers 200; fails if the process exits or time runs out. */
export async function waitUntilReady(api: ApiProcess, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    if (api.child.exitCode !== null || api.child.signalCode !== null) {
      throw new Error(`the API exited (${api.child.exitCode}) before ready:\n${api.stderr()}`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${api.port}/health/ready`);
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the API was not ready within ${ms} ms (${last})\n${api.stderr()}`);
}

/** The JSON log lines written so far. */
export function logLines(api: ApiProcess): Record<string, unknown>[] {
  return api
    .stdout()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
